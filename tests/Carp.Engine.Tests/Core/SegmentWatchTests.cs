using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Carp.Engine.Core;
using Carp.Engine.Protocol;
using Carp.Engine.Simulation;

namespace Carp.Engine.Tests.Core;

/// <summary>The passive segment model (docs/protocol.md#segment-watch): entries, counters and each finding on simulated time.</summary>
public sealed class SegmentWatchTests : IDisposable
{
    private static readonly PhysicalAddress RealA = PhysicalAddress.Parse("02-00-00-00-00-0A");
    private static readonly PhysicalAddress RealB = PhysicalAddress.Parse("02-00-00-00-00-0B");

    private readonly SimulatedTimeProvider _clock = new();
    private SegmentWatch _watch;

    public SegmentWatchTests() => _watch = new SegmentWatch(_clock, new SegmentWatchOptions { Interface = "eth0" });

    public void Dispose() => _watch.Dispose();

    [Fact]
    public void A_CARP_master_is_one_entry_with_its_address_MAC_timing_and_advert_count()
    {
        for (var i = 0; i < 3; i++)
        {
            _watch.Receive(Carp(1, "192.0.2.11", advSkew: 100, counter: (ulong)i));
            Advance(1.4);
        }

        var entry = Assert.Single(_watch.Snapshot());
        Assert.Equal((SegmentProtocol.Carp, AddressFamily.InterNetwork, (byte)1), (entry.Protocol, entry.Family, entry.Vhid));
        Assert.Equal(IPAddress.Parse("192.0.2.11"), entry.Master);
        Assert.Equal(CarpMac.Virtual(1), entry.Mac);
        Assert.Equal((byte)1, entry.AdvBase);
        Assert.Equal((byte)100, entry.AdvSkew);
        Assert.Equal(TimeSpan.FromSeconds(1) + TimeSpan.FromTicks(TimeSpan.TicksPerSecond * 100 / 256), entry.Interval);
        Assert.Equal(3, entry.Adverts);
        Assert.Equal(TimeSpan.FromSeconds(1.4), entry.Age);
        Assert.Equal(SegmentFindings.None, entry.Findings);
        Assert.Empty(entry.Addresses); // CARP adverts do not carry the addresses
        Assert.Equal("eth0", entry.Interface);
    }

    [Fact]
    public void A_steady_master_is_reported_once_as_a_change_not_once_per_advert()
    {
        for (var i = 0; i < 5; i++)
        {
            _watch.Receive(Carp(1, "192.0.2.11", counter: (ulong)i));
            Advance(1);
        }

        var change = Assert.Single(_watch.TakeChanges());
        Assert.Equal((byte)1, Assert.IsType<SegmentEntry>(change).Vhid);
        Assert.Empty(_watch.TakeChanges());
    }

    [Fact]
    public void Two_senders_that_keep_advertising_one_vhid_are_a_split_brain()
    {
        for (var i = 0; i < 3; i++)
        {
            _watch.Receive(Carp(1, "192.0.2.11", mac: RealA, counter: (ulong)i));
            Advance(0.5);
            _watch.Receive(Carp(1, "192.0.2.12", mac: RealB, counter: (ulong)i));
            Advance(0.5);
        }

        var entry = Assert.Single(_watch.Snapshot());
        Assert.True(entry.Findings.HasFlag(SegmentFindings.SplitBrain));
        Assert.Equal(2, entry.Masters.Count);
        var finding = Assert.Single(_watch.TakeChanges().OfType<SegmentFinding>());
        Assert.Equal(SegmentFindings.SplitBrain, finding.Finding);
        Assert.Contains("192.0.2.11", finding.Detail, StringComparison.Ordinal);
        Assert.Contains("192.0.2.12", finding.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_preempting_master_whose_first_advert_crosses_its_predecessors_last_is_no_split_brain()
    {
        _watch.Receive(Carp(1, "192.0.2.11", mac: RealA, advSkew: 100, counter: 1));
        Advance(0.9);
        _watch.Receive(Carp(1, "192.0.2.12", mac: RealB, counter: 1)); // preempts
        Advance(0.001);
        _watch.Receive(Carp(1, "192.0.2.11", mac: RealA, advSkew: 100, counter: 2)); // was on its way
        for (var i = 2; i < 9; i++)
        {
            Advance(1);
            _watch.Receive(Carp(1, "192.0.2.12", mac: RealB, counter: (ulong)i));
        }

        var entry = Assert.Single(_watch.Snapshot());
        Assert.Equal(SegmentFindings.None, entry.Findings);
        Assert.Equal(IPAddress.Parse("192.0.2.12"), entry.Master);
        Assert.Equal([IPAddress.Parse("192.0.2.12")], entry.Masters);
        Assert.Equal(2, entry.Senders.Count);
    }

    [Fact]
    public void A_takeover_after_the_master_died_and_a_bow_out_are_no_split_brain()
    {
        _watch.Receive(Carp(1, "192.0.2.11", mac: RealA, counter: 1));
        Advance(3.5); // master-down of the backup: 3 s + its skew
        for (var i = 0; i < 3; i++)
        {
            _watch.Receive(Carp(1, "192.0.2.12", mac: RealB, advSkew: 100, counter: (ulong)i));
            Advance(1);
        }

        _watch.Receive(Carp(1, "192.0.2.12", mac: RealB, advBase: 255, advSkew: 255, counter: 9)); // bows out
        Advance(0.01);
        for (var i = 0; i < 3; i++)
        {
            _watch.Receive(Carp(1, "192.0.2.11", mac: RealA, counter: (ulong)(10 + i)));
            Advance(1);
        }

        var entry = Assert.Single(_watch.Snapshot());
        Assert.Equal(SegmentFindings.None, entry.Findings);
        Assert.Equal(IPAddress.Parse("192.0.2.11"), entry.Master);
    }

    [Fact]
    public void A_master_that_goes_silent_past_its_master_down_interval_is_flagged_once_and_clears_when_adverts_resume()
    {
        _watch.Receive(Carp(1, "192.0.2.11", advSkew: 128, counter: 1)); // any backup's master-down: at most 3 × (1 + 255/256) s
        Advance(5.9);
        _watch.Tick();
        Assert.Equal(SegmentFindings.None, Assert.Single(_watch.Snapshot()).Findings);

        Advance(0.2);
        _watch.Tick();
        _watch.Tick();
        var silent = Assert.Single(_watch.TakeChanges().OfType<SegmentFinding>());
        Assert.Equal(SegmentFindings.MasterSilent, silent.Finding);
        Assert.Empty(Assert.Single(_watch.Snapshot()).Masters);

        _watch.Receive(Carp(1, "192.0.2.11", advSkew: 128, counter: 2));
        Assert.Single(_watch.Snapshot().Single().Masters);
        Assert.Empty(_watch.TakeChanges().OfType<SegmentFinding>());
    }

    [Fact]
    public void A_master_that_bows_out_without_a_successor_is_silent_after_its_usual_master_down_interval()
    {
        _watch.Receive(Carp(1, "192.0.2.11", counter: 1));
        Advance(1);
        _watch.Receive(Carp(1, "192.0.2.11", advBase: 255, advSkew: 255, counter: 2));
        var bowedOut = Assert.Single(_watch.Snapshot());
        Assert.Equal((byte)255, bowedOut.AdvSkew);
        Assert.Equal((byte)1, bowedOut.AdvBase); // the timing it had, not the bow-out's
        Advance(6.1);
        _watch.Tick();
        Assert.True(Assert.Single(_watch.Snapshot()).Findings.HasFlag(SegmentFindings.MasterSilent));
    }

    [Fact]
    public void VRRP_adverts_show_priority_interval_and_addresses_and_two_address_sets_for_one_VRID_are_a_collision()
    {
        _watch.Receive(Vrrp(3, "192.0.2.21", 150, 100, RealA, "192.0.2.103"));
        var entry = Assert.Single(_watch.Snapshot());
        Assert.Equal((SegmentProtocol.Vrrp, (byte)150, TimeSpan.FromSeconds(1)), (entry.Protocol, entry.Priority, entry.Interval));
        Assert.Equal([IPAddress.Parse("192.0.2.103")], entry.Addresses);
        Assert.Equal(SegmentFindings.None, entry.Findings);

        Advance(5); // the first went away; another router with other addresses uses VRID 3
        _watch.Receive(Vrrp(3, "192.0.2.22", 100, 100, RealB, "192.0.2.200"));
        entry = Assert.Single(_watch.Snapshot());
        Assert.True(entry.Findings.HasFlag(SegmentFindings.VhidCollision));
        Assert.False(entry.Findings.HasFlag(SegmentFindings.SplitBrain));
        Assert.Contains(_watch.TakeChanges().OfType<SegmentFinding>(), f => f.Finding == SegmentFindings.VhidCollision && f.Detail.Contains("192.0.2.200", StringComparison.Ordinal));
    }

    [Fact]
    public void A_VRRP_master_leaving_with_priority_zero_hands_over_without_a_split_brain()
    {
        for (var i = 0; i < 3; i++)
        {
            _watch.Receive(Vrrp(3, "192.0.2.21", 200, 100, RealA, "192.0.2.103"));
            Advance(1);
        }

        _watch.Receive(Vrrp(3, "192.0.2.21", 0, 100, RealA, "192.0.2.103"));
        for (var i = 0; i < 3; i++)
        {
            Advance(0.3);
            _watch.Receive(Vrrp(3, "192.0.2.22", 100, 100, RealB, "192.0.2.103"));
        }

        var entry = Assert.Single(_watch.Snapshot());
        Assert.Equal(SegmentFindings.None, entry.Findings);
        Assert.Equal(IPAddress.Parse("192.0.2.22"), entry.Master);
    }

    [Fact]
    public void CARP_and_VRRP_on_the_same_id_are_a_protocol_clash_on_both_entries()
    {
        _watch.Receive(Carp(4, "192.0.2.11", counter: 1));
        _watch.Receive(Vrrp(4, "192.0.2.21", 100, 100, RealA, "192.0.2.104"));
        _watch.Receive(Vrrp(5, "192.0.2.21", 100, 100, RealA, "192.0.2.105"));

        var entries = _watch.Snapshot();
        Assert.Equal(3, entries.Count);
        Assert.All(entries.Where(e => e.Vhid == 4), e => Assert.Equal(SegmentFindings.ProtocolClash, e.Findings));
        Assert.Equal(SegmentFindings.None, entries.Single(e => e.Vhid == 5).Findings);
    }

    [Fact]
    public void With_the_pass_an_advert_verified_over_the_addresses_announced_from_the_virtual_MAC_shows_its_address_set()
    {
        using var watch = WithPass("lanpasswd");
        watch.Receive(CarpFrameBuilder.GratuitousArp(CarpMac.Virtual(1), IPAddress.Parse("192.0.2.100")));
        watch.Receive(CarpFrameBuilder.GratuitousArp(CarpMac.Virtual(2), IPAddress.Parse("192.0.2.200"))); // another vhid's
        watch.Receive(Carp(1, "192.0.2.11", counter: 7, pass: "lanpasswd", addresses: ["192.0.2.100"]));

        var entry = Assert.Single(watch.Snapshot());
        Assert.Equal([IPAddress.Parse("192.0.2.100")], entry.Addresses);
        Assert.Equal((1L, 0L), (entry.HmacVerified, entry.HmacFailures));
        Assert.Equal(SegmentFindings.None, entry.Findings);
    }

    [Fact]
    public void With_the_pass_an_advert_signed_with_another_pass_is_a_pass_mismatch()
    {
        using var watch = new SegmentWatch(_clock, new SegmentWatchOptions
        {
            Pass = CarpKey.FromPassphrase("lanpasswd"),
            Addresses = [IPAddress.Parse("192.0.2.100"), IPAddress.Parse("198.51.100.1")],
        });
        watch.Receive(Carp(1, "192.0.2.11", counter: 7, pass: "wrongpass", addresses: ["192.0.2.100"]));
        watch.Receive(Carp(1, "192.0.2.11", counter: 8, pass: "wrongpass", addresses: ["192.0.2.100"]));

        var entry = Assert.Single(watch.Snapshot());
        Assert.Equal(SegmentFindings.PassMismatch, entry.Findings);
        Assert.Equal(2, entry.HmacFailures);
        var finding = Assert.Single(watch.TakeChanges().OfType<SegmentFinding>());
        Assert.DoesNotContain("lanpasswd", finding.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("wrongpass", finding.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void With_the_pass_but_no_address_known_the_HMAC_is_counted_as_unchecked_not_as_a_mismatch()
    {
        using var watch = WithPass("lanpasswd");
        watch.Receive(Carp(1, "192.0.2.11", counter: 7, pass: "wrongpass", addresses: ["192.0.2.100"]));

        Assert.Equal(SegmentFindings.None, Assert.Single(watch.Snapshot()).Findings);
        Assert.Equal(1, watch.HmacUnchecked);
    }

    [Fact]
    public void Two_CARP_senders_verified_over_different_address_sets_are_a_vhid_collision()
    {
        using var watch = new SegmentWatch(_clock, new SegmentWatchOptions
        {
            Pass = CarpKey.FromPassphrase("lanpasswd"),
            Addresses = [IPAddress.Parse("192.0.2.100"), IPAddress.Parse("192.0.2.101")],
        });
        watch.Receive(Carp(1, "192.0.2.11", mac: RealA, counter: 1, pass: "lanpasswd", addresses: ["192.0.2.100"]));
        Advance(5);
        watch.Receive(Carp(1, "192.0.2.12", mac: RealB, counter: 1, pass: "lanpasswd", addresses: ["192.0.2.101"]));

        Assert.True(Assert.Single(watch.Snapshot()).Findings.HasFlag(SegmentFindings.VhidCollision));
    }

    [Fact]
    public void Bad_packets_are_counted_and_change_nothing()
    {
        var good = Carp(1, "192.0.2.11", counter: 1);
        var badChecksum = (byte[])good.Clone();
        badChecksum[^1] ^= 0xFF;
        var badVersion = (byte[])good.Clone();
        badVersion[34] = 0x51;
        var truncated = good[..30];
        var vrrpBadCount = Vrrp(3, "192.0.2.21", 100, 100, RealA, "192.0.2.103");
        vrrpBadCount[34 + 3] = 9;

        foreach (var frame in new[] { badChecksum, badVersion, truncated, vrrpBadCount, [], new byte[13], good[..40] })
        {
            _watch.Receive(frame);
        }

        Assert.Empty(_watch.Snapshot());
        Assert.Equal(5, _watch.BadPackets);
        Assert.Equal(7, _watch.Frames);
        _watch.Receive(good);
        Assert.Single(_watch.Snapshot());
    }

    [Fact]
    public void Mangled_adverts_and_ARP_never_throw_and_the_bad_ones_are_counted()
    {
        using var watch = new SegmentWatch(_clock, new SegmentWatchOptions { Pass = CarpKey.FromPassphrase("lanpasswd"), Addresses = [IPAddress.Parse("192.0.2.100")] });
        var random = new Random(13);
        byte[][] seeds =
        [
            Carp(1, "192.0.2.11", counter: 1, pass: "lanpasswd"),
            Carp(2, "fe80::11", counter: 1),
            Vrrp(3, "192.0.2.21", 100, 100, RealA, "192.0.2.103"),
            CarpFrameBuilder.GratuitousArp(CarpMac.Virtual(1), IPAddress.Parse("192.0.2.100")),
        ];
        for (var i = 0; i < 20_000; i++)
        {
            var frame = (byte[])seeds[i % seeds.Length].Clone();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
            {
                frame[random.Next(frame.Length)] = (byte)random.Next(256);
            }

            watch.Receive(frame.AsSpan(0, random.Next(frame.Length + 1)));
            if (i % 100 == 0)
            {
                Advance(0.5);
                watch.Tick();
            }
        }

        Assert.Equal(20_000, watch.Frames);
        Assert.True(watch.BadPackets > 0);
        Assert.All(watch.Snapshot(), e => Assert.True(e.Adverts > 0));
    }

    [Fact]
    public void VRRPv2_and_other_vhids_than_the_one_watched_are_ignored()
    {
        using var watch = new SegmentWatch(_clock, new SegmentWatchOptions { Vhid = 2 });
        var vrrp2 = new byte[16 + 4];
        vrrp2[0] = 0x21;
        vrrp2[1] = 2;
        vrrp2[2] = 100;
        vrrp2[3] = 1;
        vrrp2[5] = 1;
        watch.Receive(CarpFrameBuilder.Advertisement(RealA, IPAddress.Parse("192.0.2.11"), IPAddress.Parse("224.0.0.18"), 0, vrrp2));
        watch.Receive(Carp(1, "192.0.2.11", counter: 1));
        watch.Receive(Carp(2, "192.0.2.11", counter: 1));

        Assert.Equal(2, watch.IgnoredPackets);
        Assert.Equal((byte)2, Assert.Single(watch.Snapshot()).Vhid);
    }

    [Fact]
    public void IPv6_adverts_are_entries_of_their_own_family()
    {
        _watch.Receive(Carp(1, "192.0.2.11", counter: 1));
        _watch.Receive(Carp(1, "fe80::11", counter: 1));
        Assert.Equal([AddressFamily.InterNetwork, AddressFamily.InterNetworkV6], _watch.Snapshot().Select(e => e.Family));
    }

    private SegmentWatch WithPass(string pass) => new(_clock, new SegmentWatchOptions { Pass = CarpKey.FromPassphrase(pass) });

    private void Advance(double seconds) => _clock.AdvanceTo(_clock.GetTimestamp() + TimeSpan.FromSeconds(seconds).Ticks);

    private static byte[] Carp(byte vhid, string source, byte advBase = 1, byte advSkew = 0, ulong counter = 0, PhysicalAddress? mac = null,
        string pass = "", string[]? addresses = null)
    {
        var hmac = new byte[CarpConstants.HmacLength];
        using (var signer = new CarpHmac(CarpKey.FromPassphrase(pass), vhid, (addresses ?? ["192.0.2.100"]).Select(IPAddress.Parse)))
        {
            signer.Compute(counter, hmac);
        }

        var header = new byte[CarpConstants.HeaderLength];
        CarpHeaderCodec.Write(header, vhid, advSkew, 0, advBase, counter, hmac);
        var from = IPAddress.Parse(source);
        var group = from.AddressFamily == AddressFamily.InterNetwork ? CarpConstants.MulticastV4 : CarpConstants.MulticastV6;
        return CarpFrameBuilder.Advertisement(mac ?? CarpMac.Virtual(vhid), from, group, 0, header);
    }

    private static byte[] Vrrp(byte vrid, string source, byte priority, ushort interval, PhysicalAddress mac, params string[] addresses)
    {
        var message = VrrpPackets.Message(priority, interval, vrid, source, "224.0.0.18", VrrpChecksumMode.PseudoHeader, addresses);
        return CarpFrameBuilder.Advertisement(mac, IPAddress.Parse(source), IPAddress.Parse("224.0.0.18"), 0xC0, message);
    }
}
