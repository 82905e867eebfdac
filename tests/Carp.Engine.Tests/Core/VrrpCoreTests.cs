using System.Net;
using System.Net.Sockets;
using Carp.Engine.Core;
using Carp.Engine.Protocol;
using static Carp.Engine.Tests.Core.CoreHarness;

namespace Carp.Engine.Tests.Core;

/// <summary>The VRRPv3 state machine of docs/protocol.md#vrrp driven directly: timers, election, priority 0, adverts.</summary>
public sealed class VrrpCoreTests : IDisposable
{
    private readonly CoreHarness _h = new();

    public void Dispose() => _h.Dispose();

    /// <summary>3 × interval + (256 − priority) × interval / 256, in seconds.</summary>
    private static double MasterDown(byte priority, ushort centiseconds) => ((3 * centiseconds) + ((256 - priority) * centiseconds / 256.0)) / 100.0;

    [Theory]
    [InlineData(100, 10)]
    [InlineData(200, 10)]
    [InlineData(1, 100)]
    [InlineData(254, 4095)]
    public void A_lone_backup_takes_over_at_exactly_three_intervals_plus_its_skew(byte priority, ushort interval)
    {
        var host = _h.Add(VrrpPackets.Config(priority, interval));
        var expected = VrrpTiming.MasterDown(priority, interval) * 10;
        Assert.Equal(expected, Ts(MasterDown(priority, interval)), tolerance: 10); // whole microseconds, as CARP's timers

        _h.AtTicks(expected - 1);
        Assert.Equal(CarpState.Backup, host.State);
        _h.AtTicks(expected);

        Assert.Equal((CarpState.Master, TransitionReason.MasterDown), (host.State, host.LastTransitionReason));
        var advert = VrrpPackets.Read(Assert.Single(_h.Output.Sent));
        Assert.Equal(new VrrpAdvertisement(3, 1, 1, priority, 1, interval, advert.Checksum), advert);
        Assert.Equal(expected + (interval * 100_000L), host.NextDeadline);
    }

    [Fact]
    public void A_master_advertises_every_interval_with_its_addresses_and_a_valid_checksum()
    {
        var host = _h.Add(VrrpPackets.Config(addresses: ["192.0.2.254/24", "192.0.2.253/24"]));
        _h.RunUntil(1.0);

        Assert.Equal(CarpState.Master, host.State);
        var sent = _h.Output.Sent;
        Assert.InRange(sent.Count, 6, 7); // takeover at 0.36 s, then every 100 ms
        Assert.All(sent, s =>
        {
            Assert.Equal(AddressFamily.InterNetwork, s.Family);
            Assert.Equal(16, s.Header.Length);
            Assert.True(VrrpCodec.IsChecksumValid(s.Header, [192, 0, 2, 1], [224, 0, 0, 18], out var mode));
            Assert.Equal(VrrpChecksumMode.PseudoHeader, mode);
            Assert.Equal([192, 0, 2, 254, 192, 0, 2, 253], s.Header[8..]);
        });
    }

    [Fact]
    public void The_v2_style_checksum_is_sent_when_configured()
    {
        _h.Add(VrrpPackets.Config() with { VrrpChecksum = VrrpChecksumMode.MessageOnly });
        _h.RunUntil(0.4);

        var sent = Assert.Single(_h.Output.Sent);
        Assert.True(VrrpCodec.IsChecksumValid(sent.Header, [192, 0, 2, 1], [224, 0, 0, 18], out var mode));
        Assert.Equal(VrrpChecksumMode.MessageOnly, mode);
    }

    [Fact]
    public void A_backup_learns_the_masters_interval_from_its_adverts()
    {
        var host = _h.Add(VrrpPackets.Config(priority: 100, interval: 10));
        _h.At(0.2);

        _h.Receive(VrrpPackets.V4(priority: 200, interval: 50));

        Assert.Equal(50, host.MasterAdverInterval);
        Assert.Equal(Ts(0.2) + (VrrpTiming.MasterDown(100, 50) * 10), host.NextDeadline);
        Assert.Equal(IPAddress.Parse("192.0.2.2"), host.MasterSeen);
        Assert.Equal((byte)200, host.MasterSeenPriority);
        _h.RunUntil(0.2 + MasterDown(100, 50) - 0.001);
        Assert.Equal(CarpState.Backup, host.State);
        _h.RunUntil(0.2 + MasterDown(100, 50) + 0.001);
        Assert.Equal((CarpState.Master, TransitionReason.MasterDown), (host.State, host.LastTransitionReason));
        Assert.Equal(10, VrrpPackets.Read(_h.Output.Sent[0]).Interval); // it advertises its own interval
    }

    [Fact]
    public void A_backup_that_hears_priority_0_takes_over_after_its_skew_time_alone()
    {
        var host = _h.Add(VrrpPackets.Config(priority: 100, interval: 10));
        _h.At(0.2);
        _h.Receive(VrrpPackets.V4(priority: 200, interval: 10));
        _h.At(0.25);

        _h.Receive(VrrpPackets.V4(priority: 0, interval: 10));

        var skew = VrrpTiming.Skew(100, 10) * 10; // 156 / 256 × 100 ms = 60.9375 ms, in whole microseconds
        Assert.Equal(609_370, skew);
        Assert.Equal(Ts(0.25) + skew, host.NextDeadline);
        _h.AtTicks(Ts(0.25) + skew);
        Assert.Equal((CarpState.Master, TransitionReason.MasterDown), (host.State, host.LastTransitionReason));
    }

    [Fact]
    public void A_master_that_hears_priority_0_advertises_at_once()
    {
        var host = _h.Add(VrrpPackets.Config());
        _h.RunUntil(0.4);
        _h.Output.Clear();

        _h.Receive(VrrpPackets.V4(priority: 0));

        Assert.Equal(CarpState.Master, host.State);
        Assert.Equal(100, VrrpPackets.Read(Assert.Single(_h.Output.Sent)).Priority);
        Assert.Equal(Ts(0.4) + Ts(0.1), host.NextDeadline);
    }

    [Theory]
    [InlineData(101, "192.0.2.2", true)]
    [InlineData(100, "192.0.2.2", true)]   // a tie: 192.0.2.2 is higher than our 192.0.2.1
    [InlineData(100, "192.0.2.0", false)]  // a tie: lower than ours, we stay
    [InlineData(99, "192.0.2.200", false)]
    public void A_master_yields_to_a_higher_priority_or_to_a_higher_address_on_a_tie(byte priority, string source, bool yields)
    {
        var host = _h.Add(VrrpPackets.Config(priority: 100, interval: 10));
        _h.RunUntil(0.4);
        _h.Output.Clear();

        _h.Receive(VrrpPackets.V4(priority: priority, interval: 30, source: source));

        Assert.Equal(yields ? CarpState.Backup : CarpState.Master, host.State);
        // A master that stays answers the other at once (docs/protocol.md#split-brain-heal); one that yields sends nothing.
        Assert.Equal(yields ? 0 : 1, _h.Output.Sent.Count);
        Assert.Equal(yields ? 0 : 1, _h.Output.Announcements.Count);
        if (yields)
        {
            Assert.Equal(TransitionReason.HigherPriorityMaster, host.LastTransitionReason);
            Assert.Equal(30, host.MasterAdverInterval);
            Assert.Equal(Ts(0.4) + (VrrpTiming.MasterDown(100, 30) * 10), host.NextDeadline);
        }
    }

    [Fact]
    public void A_preempting_backup_ignores_a_lower_priority_master_and_takes_over_at_master_down()
    {
        var host = _h.Add(VrrpPackets.Config(priority: 200, interval: 10));
        var masterDown = VrrpTiming.MasterDown(200, 10) * 10;
        _h.At(0.1);

        _h.Receive(VrrpPackets.V4(priority: 100, interval: 10));

        Assert.Equal(masterDown, host.NextDeadline);
        _h.AtTicks(masterDown);
        Assert.Equal((CarpState.Master, TransitionReason.MasterDown), (host.State, host.LastTransitionReason));
    }

    [Fact]
    public void Without_preempt_a_backup_follows_a_lower_priority_master()
    {
        var host = _h.Add(VrrpPackets.Config(priority: 200, interval: 10, preempt: false));
        _h.At(0.1);

        _h.Receive(VrrpPackets.V4(priority: 100, interval: 10));

        Assert.Equal(Ts(0.1) + (VrrpTiming.MasterDown(200, 10) * 10), host.NextDeadline);
        Assert.Equal(CarpState.Backup, host.State);
    }

    [Fact]
    public void A_master_that_is_removed_sends_priority_0()
    {
        _h.Add(VrrpPackets.Config());
        _h.RunUntil(0.4);
        _h.Output.Clear();

        _h.Node.RemoveVirtualHost("carp1");

        Assert.Equal(0, VrrpPackets.Read(Assert.Single(_h.Output.Sent)).Priority);
        Assert.Null(_h.Node.Find("carp1"));
    }

    [Fact]
    public void An_ipv6_virtual_router_advertises_its_ipv6_addresses_from_the_carpdevs_ipv6_address()
    {
        var host = _h.Add(VrrpPackets.Config(addresses: ["2001:db8::254/64"]));
        _h.RunUntil(0.4);

        Assert.Equal(CarpState.Master, host.State);
        var sent = Assert.Single(_h.Output.Sent);
        Assert.Equal(AddressFamily.InterNetworkV6, sent.Family);
        Assert.Equal(24, sent.Header.Length);
        Assert.True(VrrpCodec.IsChecksumValid(sent.Header, IPAddress.Parse("2001:db8::1").GetAddressBytes(), IPAddress.Parse("ff02::12").GetAddressBytes(), out _));
        Assert.Equal("00005E000201", AdvertAddressing.SourceMacOf(host.Config, Packets.OwnMac).ToString());
    }

    [Fact]
    public void Maintenance_on_a_vrrp_master_sends_priority_0_and_stays_backup()
    {
        var host = _h.Add(VrrpPackets.Config());
        _h.RunUntil(0.4);
        _h.Output.Clear();

        _h.Node.UpdateVirtualHost("carp1", host.Config with { Maintenance = true });

        Assert.Equal(0, VrrpPackets.Read(Assert.Single(_h.Output.Sent)).Priority);
        Assert.Equal((CarpState.Backup, TransitionReason.Suspended), (host.State, host.LastTransitionReason));
        _h.RunUntil(5);
        Assert.Equal(CarpState.Backup, host.State);
    }

    [Fact]
    public void A_new_priority_or_interval_applies_without_a_restart()
    {
        var host = _h.Add(VrrpPackets.Config(priority: 100, interval: 10));
        _h.RunUntil(0.4);
        _h.Output.Clear();

        var updated = _h.Node.UpdateVirtualHost("carp1", host.Config with { Priority = 150, Interval = 20 });

        Assert.Same(host, updated);
        var advert = VrrpPackets.Read(Assert.Single(_h.Output.Sent));
        Assert.Equal((150, 20), (advert.Priority, advert.Interval));
        Assert.Equal(Ts(0.4) + Ts(0.2), host.NextDeadline);
    }
}
