using System.Collections.Concurrent;
using System.Net;
using System.Net.NetworkInformation;
using Carp.Engine.Protocol;
using Carp.Linux;
using Carp.Network.Tests.Scenarios;

namespace Carp.Network.Tests;

/// <summary>
/// The unicast advert path (docs/protocol.md#unicast-on-linux): the engine's frame, its Ethernet header a placeholder, leaves
/// through a raw IP socket; the kernel resolves the peer's MAC and keeps every byte of the IP packet we built.
/// </summary>
public sealed class UnicastSenderTests
{
    private static readonly PhysicalAddress Placeholder = PhysicalAddress.Parse("FF-FF-FF-FF-FF-FF");

    private static byte[] Header(byte vhid)
    {
        var header = new byte[CarpConstants.HeaderLength];
        header[0] = 0x21;
        header[1] = vhid;
        header[3] = 7;
        header[5] = 1;
        return header;
    }

    [Theory]
    [InlineData("192.0.2.2", true)]
    [InlineData("198.51.100.224", true)] // FreeBSD's byte-order slip would call this multicast
    [InlineData("224.0.0.18", false)]
    [InlineData("2001:db8::2", true)]
    [InlineData("fe80::2", true)]
    [InlineData("ff02::12", false)]
    public void Only_adverts_to_a_unicast_IP_take_the_raw_socket(string destination, bool unicast)
    {
        var to = IPAddress.Parse(destination);
        var from = IPAddress.Parse(to.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? "192.0.2.1" : "fe80::1");
        var frame = CarpFrameBuilder.Advertisement(Placeholder, from, to, 0x10, Header(1), unicast ? Placeholder : null);
        Assert.Equal(unicast, UnicastSender.IsUnicastAdvert(frame));
        Assert.False(UnicastSender.IsUnicastAdvert(CarpFrameBuilder.GratuitousArp(Placeholder, IPAddress.Parse("192.0.2.1"))));
    }

    [Fact]
    public void The_kernel_resolves_the_peer_and_sends_our_bytes_without_allocating()
    {
        using var net = NetworkPrerequisites.Network(0);
        string a = net.AddNamespace("a"), b = net.AddNamespace("b");
        net.AddVethPair(a, "va", b, "vb");
        net.Ip("-n", a, "addr", "add", "192.0.2.1/24", "dev", "va");
        net.Ip("-n", b, "addr", "add", "192.0.2.2/24", "dev", "vb");
        net.Ip("-n", a, "addr", "add", "2001:db8::1/64", "dev", "va", "nodad");
        net.Ip("-n", b, "addr", "add", "2001:db8::2/64", "dev", "vb", "nodad");
        var seen = new ConcurrentQueue<byte[]>();
        using var capture = NetworkNamespace.Run(b, () =>
        {
            var device = new PacketDevice("vb", frame => seen.Enqueue(frame.ToArray()), "inbound and (ip proto 112 or ip6 proto 112)");
            device.Start();
            return device;
        });
        var macB = NetworkNamespace.Run(b, () => { using var nl = new NetlinkRouteSocket(); return nl.GetLink("vb")!.MacAddress; });
        var linkA = NetworkNamespace.Run(a, () => { using var nl = new NetlinkRouteSocket(); return nl.GetLink("va")!; });
        var linkLocalA = IPAddress.Parse(net.Ip("-n", a, "-6", "-o", "addr", "show", "dev", "va", "scope", "link").StandardOutput
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[3].Split('/')[0]);
        using var sender = NetworkNamespace.Run(a, () => new UnicastSender("va", linkA.Index));
        Assert.Null(sender.OpenError);
        sender.SetGlobalSource(IPAddress.Parse("2001:db8::1"));

        var v4 = CarpFrameBuilder.Advertisement(linkA.MacAddress, IPAddress.Parse("192.0.2.1"), IPAddress.Parse("192.0.2.2"), 0x10, Header(7), Placeholder);
        // As the engine builds it: from the link-local source; to a global peer it must leave from the global one.
        var v6 = CarpFrameBuilder.Advertisement(linkA.MacAddress, linkLocalA, IPAddress.Parse("2001:db8::2"), 0x10, Header(8), Placeholder);
        sender.Send(v4);
        sender.Send(v6);
        Assert.True(Scenario.Eventually(() => seen.Count >= 2, TimeSpan.FromSeconds(5)), $"captured {seen.Count} of 2 (neighbour resolution?)");

        var got4 = seen.First(f => f[12] == 0x08);
        Assert.Equal(macB, new PhysicalAddress(got4[..6]));
        Assert.Equal(linkA.MacAddress, new PhysicalAddress(got4[6..12]));
        // The whole IPv4 packet as we built it: TTL 255, DF, identification, TOS, addresses, header checksum, CARP header.
        Assert.Equal(v4[14..], got4[14..]);
        var got6 = seen.First(f => f[12] == 0x86);
        Assert.Equal(macB, new PhysicalAddress(got6[..6]));
        Assert.Equal(IPAddress.Parse("2001:db8::1"), new IPAddress(got6.AsSpan(22, 16)));
        Assert.Equal(255, got6[21]);
        Assert.Equal(v6[54..], got6[54..]);

        // Allocation-free after the first: only the kernel is involved.
        for (int i = 0; i < 10; i++)
        {
            sender.Send(v4);
            sender.Send(v6);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        for (int i = 0; i < 100; i++)
        {
            sender.Send(v4);
            sender.Send(v6);
        }

        var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        TestContext.Current.TestOutputHelper?.WriteLine($"MEASURED: unicast advert send (sendto on a raw IP socket, neighbour known): {elapsed.TotalMicroseconds / 200:0.0} µs per advert, 0 B allocated");
        Assert.Equal(222, sender.Sent);
        Assert.True(Scenario.Eventually(() => seen.Count >= 222, TimeSpan.FromSeconds(5)), $"captured {seen.Count} of 222");
    }

    [Fact]
    public void A_send_the_kernel_refuses_is_an_error_with_its_errno()
    {
        using var net = NetworkPrerequisites.Network(0);
        string a = net.AddNamespace("a"), b = net.AddNamespace("b");
        net.AddVethPair(a, "va", b, "vb");
        net.Ip("-n", a, "addr", "add", "192.0.2.1/24", "dev", "va");
        var linkA = NetworkNamespace.Run(a, () => { using var nl = new NetlinkRouteSocket(); return nl.GetLink("va")!; });
        using var sender = NetworkNamespace.Run(a, () => new UnicastSender("va", linkA.Index));
        var frame = CarpFrameBuilder.Advertisement(linkA.MacAddress, IPAddress.Parse("192.0.2.1"), IPAddress.Parse("192.0.2.2"), 0x10, Header(1), Placeholder);
        // Bound to its carpdev, the socket treats any peer as on-link there; a carpdev that is down refuses the send.
        net.Ip("-n", a, "link", "set", "va", "down");

        var error = Assert.Throws<IOException>(() => sender.Send(frame));
        Assert.Contains("va", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, sender.Sent);
    }
}
