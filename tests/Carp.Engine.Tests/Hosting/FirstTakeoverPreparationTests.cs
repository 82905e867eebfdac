using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;
using Carp.Engine.Tests.Core;

namespace Carp.Engine.Tests.Hosting;

/// <summary>
/// What the service prepares so that a fresh process's first takeover is as fast as a later one (BENCHMARKS.md#first-takeover):
/// a BACKUP's advert frames built ahead, and a new port's batch calls made once with nothing queued or sent.
/// </summary>
public sealed class FirstTakeoverPreparationTests
{
    [Fact]
    public void Preparing_a_hosts_frame_builds_it_without_writing_an_advert()
    {
        using var h = new CoreHarness();
        var host = h.Add(CoreHarness.Config(addresses: CoreHarness.Vip6));
        var frames = new AdvertFrameCache();
        var mac = PhysicalAddress.Parse("02-00-00-00-00-01");
        Assert.Null(frames.DestinationOf(host, AddressFamily.InterNetworkV6));

        frames.Prepare(host, AddressFamily.InterNetworkV6, mac, IPAddress.Parse("fe80::1"), 0);

        Assert.Equal(IPAddress.Parse("ff02::12"), frames.DestinationOf(host, AddressFamily.InterNetworkV6));
        Assert.Null(frames.DestinationOf(host, AddressFamily.InterNetwork));
        Assert.Empty(h.Output.Sent);
    }

    [Fact]
    public void Priming_a_port_queues_and_sends_nothing_and_the_next_pass_sends_only_its_own_frames()
    {
        var port = new CountingPort();
        var batch = new WireBatch();

        batch.Prime(port);

        Assert.Equal((0, 0, 1, 1), (port.Queued, port.Sent, port.QueueCalls, port.FlushCalls));

        using var h = new CoreHarness();
        var host = h.Add(CoreHarness.Config());
        batch.Begin();
        Assert.True(batch.Advert(port, new byte[60], host));
        var sent = new bool[1];
        batch.Flush(sent, (_, error) => Assert.Fail(error));

        Assert.True(sent[0]);
        Assert.Equal((1, 2), (port.Sent, port.FlushCalls));
    }

    [Fact]
    public void A_port_that_cannot_queue_is_not_primed()
    {
        var port = new CountingPort { CanQueue = false };

        new WireBatch().Prime(port);

        Assert.Equal((0, 0), (port.QueueCalls, port.FlushCalls));
    }

    /// <summary>Queues like the Linux port (refusing frames shorter than an Ethernet header) and counts what it is asked.</summary>
    private sealed class CountingPort : IWirePort
    {
        public string Name => "eth0";

        public PhysicalAddress Mac { get; } = PhysicalAddress.Parse("02-00-00-00-00-02");

        public IPAddress? IPv4 => IPAddress.Parse("192.0.2.1");

        public IPAddress? IPv6 => null;

        public bool LinkUp => true;

        public long CaptureDrops => 0;

        public bool CanQueue { get; init; } = true;

        public int Queued { get; private set; }

        public int Sent { get; private set; }

        public int QueueCalls { get; private set; }

        public int FlushCalls { get; private set; }

        public void RefreshAddresses()
        {
        }

        public bool Send(ReadOnlySpan<byte> frame)
        {
            Sent++;
            return true;
        }

        public bool Queue(ReadOnlySpan<byte> frame)
        {
            QueueCalls++;
            if (frame.Length < 14)
            {
                return false;
            }

            Queued++;
            return true;
        }

        public string? Flush(Span<bool> sent)
        {
            FlushCalls++;
            sent[..Queued].Fill(true);
            Sent += Queued;
            Queued = 0;
            return null;
        }

        public void Dispose()
        {
        }
    }
}

/// <summary>A host's announcement frames are built once and sent as they are until what they are made of changes (BENCHMARKS.md#scale).</summary>
public sealed class AnnouncementFrameCacheTests
{
    private static readonly PhysicalAddress Mac = PhysicalAddress.Parse("02-00-00-00-00-01");

    [Fact]
    public void The_frames_are_built_once_per_address_and_are_the_announcements_themselves()
    {
        using var h = new CoreHarness();
        var host = h.Add(CoreHarness.Config(addresses: [CoreHarness.Vip, CoreHarness.Vip6]));
        var cache = new AnnouncementFrameCache();

        var first = cache.Frames(host, Mac);
        var again = cache.Frames(host, Mac);

        Assert.Same(first, again);
        Assert.Equal(host.Config.Addresses, first.Select(a => a.Address));
        Assert.Equal(CarpFrameBuilder.GratuitousArp(Mac, IPAddress.Parse("192.0.2.254")), first[0].Frame);
        Assert.Equal(AdvertAddressing.Announcement(Mac, host.Config.Addresses[1]), first[1].Frame);
        Assert.All(first, a => Assert.Null(a.Error));
    }

    [Fact]
    public void A_new_configuration_or_source_mac_builds_them_again_and_a_removed_host_is_forgotten()
    {
        using var h = new CoreHarness();
        var host = h.Add(CoreHarness.Config());
        var cache = new AnnouncementFrameCache();
        var before = cache.Frames(host, Mac);

        var otherMac = cache.Frames(host, PhysicalAddress.Parse("02-00-00-00-00-02"));
        Assert.NotSame(before, otherMac);
        Assert.NotEqual(before[0].Frame, otherMac[0].Frame);

        h.Node.UpdateVirtualHost("carp1", host.Config with { Addresses = [CarpAddress.Parse("192.0.2.253/24")] });
        var updated = cache.Frames(host, Mac);
        Assert.Equal(CarpFrameBuilder.GratuitousArp(Mac, IPAddress.Parse("192.0.2.253")), Assert.Single(updated).Frame);

        cache.Retain([]);
        Assert.NotSame(updated, cache.Frames(host, Mac));
    }
}
