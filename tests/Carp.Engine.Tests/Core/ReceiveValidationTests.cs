using System.Net;
using Carp.Engine.Core;
using Carp.Engine.Protocol;
using static Carp.Engine.Tests.Core.CoreHarness;

namespace Carp.Engine.Tests.Core;

/// <summary>
/// CarpNode.Receive: each check of docs/protocol.md#receive-checks with a crafted packet, the one counter it moves (docs/protocol.md#carpstats),
/// and that a dropped packet leaves the state machine alone (the BACKUP's master-down still fires on time).
/// </summary>
public sealed class ReceiveValidationTests : IDisposable
{
    private readonly CoreHarness _h = new();

    public void Dispose() => _h.Dispose();

    private static CarpStatistic In(bool v6) => v6 ? CarpStatistic.IPackets6 : CarpStatistic.IPackets;

    /// <summary>carp1 (vhid 1, advbase 1, advskew 0) in BACKUP since t=0, master-down due at exactly 3 s.</summary>
    private VirtualHost Backup(bool v6 = false, string? peer = null, CompatibilityProfile? profile = null)
    {
        var config = Config(profile: profile, addresses: v6 ? Vip6 : Vip);
        if (peer is not null)
        {
            config = v6 ? config with { Peer6 = IPAddress.Parse(peer) } : config with { Peer = IPAddress.Parse(peer) };
        }

        var host = _h.Add(config);
        Assert.Equal(CarpState.Backup, host.State);
        Assert.Equal(Ts(3), _h.Node.NextDeadline);
        _h.Output.Clear();
        return host;
    }

    /// <summary>The packet changed nothing: no output, master-down still at 3 s, and it fires exactly then.</summary>
    private void AssertStateMachineUntouched(VirtualHost host)
    {
        Assert.Equal(0, _h.Output.TotalCalls);
        Assert.Equal(CarpState.Backup, host.State);
        Assert.Null(host.MasterSeen);
        Assert.Equal(Ts(3), _h.Node.NextDeadline);

        _h.AtTicks(Ts(3) - 1);
        Assert.Equal(CarpState.Backup, host.State);
        _h.At(3);
        Assert.Equal(CarpState.Master, host.State);
        Assert.Equal(TransitionReason.MasterDown, host.LastTransitionReason);
    }

    /// <summary>The packet was accepted: master-down re-armed a full 3 s after it arrived at 1 s.</summary>
    private void AssertAccepted(VirtualHost host, bool v6)
    {
        StatsAssert.Only(_h.Stats, (In(v6), 1));
        Assert.Equal(CarpState.Backup, host.State);
        Assert.Equal(Ts(4), _h.Node.NextDeadline);
        _h.At(3);
        Assert.Equal(CarpState.Backup, host.State);
        _h.At(4);
        Assert.Equal(CarpState.Master, host.State);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Valid_advert_is_counted_only_as_received_and_rearms_master_down(bool v6)
    {
        var host = Backup(v6);
        _h.At(1);

        _h.Receive(Packets.Frame(v6, Packets.Header(addresses: v6 ? Vip6 : Vip)));

        Assert.Equal(IPAddress.Parse(v6 ? "2001:db8::2" : "192.0.2.2"), host.MasterSeen);
        AssertAccepted(host, v6);
    }

    public enum Bad
    {
        TruncatedIpHeader,
        Ttl254,
        Ttl1,
        ShortPayloadByIpLength,
        ShortPayloadByCapture,
        BadChecksum,
        UnknownVhid,
        Version3,
        WrongPass,
        WrongAddress,
        ExtraAddress,
        HmacOverOtherVhid,
        CounterNotTheOneAuthenticated,
    }

    private static (byte[] Frame, CarpStatistic Counter) Make(Bad kind, bool v6)
    {
        var vip = v6 ? Vip6 : Vip;
        var good = Packets.Header(addresses: vip);
        var payload = Packets.PayloadOffset(v6);
        byte[] frame;
        switch (kind)
        {
            case Bad.TruncatedIpHeader:
                // The protocol byte is visible, the rest of the IP header is not.
                frame = Packets.Frame(v6, good)[..(v6 ? 14 + 39 : 14 + 19)];
                return (frame, CarpStatistic.HdrOps);
            case Bad.Ttl254:
                return (v6 ? Packets.V6(good, hopLimit: 254) : Packets.V4(good, ttl: 254), CarpStatistic.BadTtl);
            case Bad.Ttl1:
                return (v6 ? Packets.V6(good, hopLimit: 1) : Packets.V4(good, ttl: 1), CarpStatistic.BadTtl);
            case Bad.ShortPayloadByIpLength:
                frame = Packets.Frame(v6, good);
                if (v6)
                {
                    frame[Packets.V6PayloadLength + 1] = 35;
                }
                else
                {
                    frame[Packets.V4TotalLength + 1] = 20 + 35;
                    Packets.FixIPv4Checksum(frame);
                }

                return (frame, CarpStatistic.BadLen);
            case Bad.ShortPayloadByCapture:
                return (Packets.Frame(v6, good)[..(payload + 30)], CarpStatistic.BadLen);
            case Bad.BadChecksum:
                frame = Packets.Frame(v6, good);
                frame[payload + 2] ^= 0x01; // advskew 1 without a new checksum
                return (frame, CarpStatistic.BadSum);
            case Bad.UnknownVhid:
                return (Packets.Frame(v6, Packets.Header(vhid: 2, addresses: vip)), CarpStatistic.BadVhid);
            case Bad.Version3:
                var v3 = (byte[])good.Clone();
                v3[0] = 0x31;
                return (Packets.Frame(v6, Packets.FixedChecksum(v3)), CarpStatistic.BadVer);
            case Bad.WrongPass:
                return (Packets.Frame(v6, Packets.Header(pass: "foobaz", addresses: vip)), CarpStatistic.BadAuth);
            case Bad.WrongAddress:
                return (Packets.Frame(v6, Packets.Header(addresses: v6 ? "2001:db8::253/64" : "192.0.2.253/24")), CarpStatistic.BadAuth);
            case Bad.ExtraAddress:
                return (Packets.Frame(v6, Packets.Header(addresses: [vip, "198.51.100.1/24"])), CarpStatistic.BadAuth);
            case Bad.HmacOverOtherVhid:
                return (Packets.Frame(v6, Packets.Header(vhid: 1, hmacVhid: 2, addresses: vip)), CarpStatistic.BadAuth);
            case Bad.CounterNotTheOneAuthenticated:
                var replay = (byte[])good.Clone();
                replay[CarpConstants.CounterOffset + 7] ^= 0x01;
                return (Packets.Frame(v6, Packets.FixedChecksum(replay)), CarpStatistic.BadAuth);
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    public static TheoryData<Bad, bool> BadPackets()
    {
        var data = new TheoryData<Bad, bool>();
        foreach (var kind in Enum.GetValues<Bad>())
        {
            data.Add(kind, false);
            data.Add(kind, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(BadPackets))]
    public void Bad_packet_moves_exactly_its_counter_and_leaves_the_state_machine_alone(Bad kind, bool v6)
    {
        var host = Backup(v6);
        var (frame, counter) = Make(kind, v6);
        _h.At(1);

        _h.Receive(frame);

        StatsAssert.Only(_h.Stats, (In(v6), 1), (counter, 1));
        AssertStateMachineUntouched(host);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Ttl_below_255_is_accepted_from_a_unicast_peer(bool v6)
    {
        // FreeBSD (docs/protocol.md#unicast-peers): adverts to a unicast peer may be routed, so TTL 255 is only required for multicast.
        var host = Backup(v6, peer: v6 ? "2001:db8::2" : "192.0.2.2");
        _h.At(1);

        var header = Packets.Header(addresses: v6 ? Vip6 : Vip);
        _h.Receive(v6
            ? Packets.V6(header, destination: "2001:db8::1", hopLimit: 64)
            : Packets.V4(header, destination: "192.0.2.1", ttl: 64));

        AssertAccepted(host, v6);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Ttl_below_255_is_refused_when_the_vhid_itself_advertises_by_multicast(bool v6)
    {
        // FreeBSD: TTL 255 is required "only if the vhid's destination is multicast" (docs/protocol.md#receive-checks): carp1 has no
        // peer, so a routed unicast advert (TTL 64) must not be trusted as on-link.
        var host = Backup(v6);
        _h.At(1);

        var header = Packets.Header(addresses: v6 ? Vip6 : Vip);
        _h.Receive(v6
            ? Packets.V6(header, destination: "2001:db8::1", hopLimit: 64)
            : Packets.V4(header, destination: "192.0.2.1", ttl: 64));

        StatsAssert.Only(_h.Stats, (In(v6), 1), (CarpStatistic.BadTtl, 1));
        AssertStateMachineUntouched(host);
    }

    [Fact]
    public void OpenBsd_profile_requires_ttl_255_even_from_a_unicast_peer()
    {
        var host = Backup(peer: "192.0.2.2", profile: CompatibilityProfile.OpenBsd);
        _h.At(1);

        _h.Receive(Packets.V4(Packets.Header(), destination: "192.0.2.1", ttl: 64));

        StatsAssert.Only(_h.Stats, (CarpStatistic.IPackets, 1), (CarpStatistic.BadTtl, 1));
        Assert.Equal(0, _h.Output.TotalCalls);
        Assert.Equal(CarpState.Backup, host.State);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Type_and_authlen_are_not_checked(bool v6)
    {
        // docs/protocol.md#packet-header: nobody checks type or authlen on receive.
        var host = Backup(v6);
        var header = Packets.Header(addresses: v6 ? Vip6 : Vip);
        header[0] = 0x22; // version 2, type 2
        header[3] = 0;    // authlen 0
        _h.At(1);

        _h.Receive(Packets.Frame(v6, Packets.FixedChecksum(header)));

        AssertAccepted(host, v6);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Payload_longer_than_36_bytes_is_accepted(bool v6)
    {
        // docs/protocol.md#packet-header: kernels check payload >= 36, not == 36, and look at the first 36 bytes only.
        var host = Backup(v6);
        byte[] longer = [.. Packets.Header(addresses: v6 ? Vip6 : Vip), 0xde, 0xad, 0xbe, 0xef];
        _h.At(1);

        _h.Receive(Packets.Frame(v6, longer));

        AssertAccepted(host, v6);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Advert_of_a_family_the_vhid_does_not_carry_is_badvhid(bool v6)
    {
        // carp1 carries only the other family; the HMAC is right (it covers carp1's addresses), only the family is wrong.
        var host = Backup(!v6);
        _h.At(1);

        _h.Receive(Packets.Frame(v6, Packets.Header(addresses: v6 ? Vip : Vip6)));

        StatsAssert.Only(_h.Stats, (In(v6), 1), (CarpStatistic.BadVhid, 1));
        AssertStateMachineUntouched(host);
    }

    [Fact]
    public void Frame_on_a_carpdev_without_vhids_is_badif()
    {
        var host = Backup();
        var eth1 = _h.Node.AddDevice("eth1", linkUp: true);
        _h.At(1);

        _h.Receive(Packets.V4(Packets.Header()), eth1);

        StatsAssert.Only(_h.Stats, (CarpStatistic.IPackets, 1), (CarpStatistic.BadIf, 1));
        AssertStateMachineUntouched(host);
    }

    [Fact]
    public void Vhid_known_on_another_carpdev_is_badvhid_here()
    {
        _h.Node.AddDevice("eth1", linkUp: true);
        Backup();
        _h.Add(Config("carp2", vhid: 2, device: "eth1"));
        _h.Output.Clear();
        _h.At(1);

        _h.Receive(Packets.V4(Packets.Header(vhid: 2)));

        StatsAssert.Only(_h.Stats, (CarpStatistic.IPackets, 1), (CarpStatistic.BadVhid, 1));
        Assert.Equal(CarpState.Backup, _h.Node.Find("carp2")!.State);
        Assert.Equal(Ts(3), _h.Node.NextDeadline);
    }

    public static TheoryData<string, byte[], CarpStatistic> FirstFailingCheckWins()
    {
        var shortWithBadTtl = Packets.V4(Packets.Header(), ttl: 254)[..(Packets.V4Payload + 20)];
        var badSumUnknownVhid = Packets.V4(Packets.Header(vhid: 9));
        badSumUnknownVhid[Packets.V4Payload + 2] ^= 0xFF;
        var badSumBadTtl = Packets.V4(Packets.Header(), ttl: 254);
        badSumBadTtl[Packets.V4Payload + 2] ^= 0xFF;
        var v3UnknownVhid = Packets.Header(vhid: 9);
        v3UnknownVhid[0] = 0x31;
        var v3 = Packets.Header(pass: "other");
        v3[0] = 0x31;
        return new()
        {
            { "length before TTL", shortWithBadTtl, CarpStatistic.BadLen },
            { "checksum before TTL", badSumBadTtl, CarpStatistic.BadSum },
            { "checksum before vhid", badSumUnknownVhid, CarpStatistic.BadSum },
            { "vhid before TTL", Packets.V4(Packets.Header(vhid: 9), ttl: 1), CarpStatistic.BadVhid },
            { "vhid before version", Packets.V4(Packets.FixedChecksum(v3UnknownVhid)), CarpStatistic.BadVhid },
            { "version before TTL", Packets.V4(Packets.FixedChecksum(v3), ttl: 254), CarpStatistic.BadVer },
            { "version before HMAC", Packets.V4(Packets.FixedChecksum(v3)), CarpStatistic.BadVer },
            { "TTL before HMAC", Packets.V4(Packets.Header(pass: "other"), ttl: 254), CarpStatistic.BadTtl },
        };
    }

    [Theory]
    [MemberData(nameof(FirstFailingCheckWins))]
    public void A_packet_failing_several_checks_counts_only_the_first_in_FreeBSD_order(string order, byte[] frame, CarpStatistic counter)
    {
        Assert.NotEmpty(order);
        var host = Backup();
        _h.At(1);

        _h.Receive(frame);

        StatsAssert.Only(_h.Stats, (CarpStatistic.IPackets, 1), (counter, 1));
        AssertStateMachineUntouched(host);
    }

    [Fact]
    public void Badif_comes_before_every_packet_check()
    {
        var eth1 = _h.Node.AddDevice("eth1", linkUp: true);
        var broken = Packets.V4(Packets.Header(pass: "x"), ttl: 1)[..(Packets.V4Payload + 10)];

        _h.Receive(broken, eth1);

        StatsAssert.Only(_h.Stats, (CarpStatistic.IPackets, 1), (CarpStatistic.BadIf, 1));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Own_advert_looped_back_is_badauth_and_not_obeyed(bool v6)
    {
        var host = _h.Add(Config(addresses: v6 ? Vip6 : Vip));
        _h.At(3);
        Assert.Equal(CarpState.Master, host.State);
        var own = Assert.Single(_h.Output.Sent).Header;
        _h.Output.Clear();
        _h.At(3.5);

        // Accepted, an equal-interval advert would make this FreeBSD master yield (T_local >= T_remote).
        _h.Receive(v6 ? Packets.V6(own, source: "2001:db8::1") : Packets.V4(own, source: "192.0.2.1"));

        StatsAssert.Only(_h.Stats, (In(v6), 1), (v6 ? CarpStatistic.OPackets6 : CarpStatistic.OPackets, 1),
            (CarpStatistic.BadAuth, 1), (CarpStatistic.Preempt, 1));
        Assert.Equal(CarpState.Master, host.State);
        Assert.Null(host.MasterSeen);
        Assert.Equal(0, _h.Output.TotalCalls);
        _h.At(4);
        Assert.Single(_h.Output.Sent);
        Assert.Equal(CarpState.Master, host.State);
    }

    [Fact]
    public void A_peer_that_repeats_its_counter_is_accepted_every_time()
    {
        // OpenBSD (docs/protocol.md#replay-counter, behaviour 2) sends the same random cookie in every advert; docs/protocol.md#replay-counter: "never reject an ad
        // because of its counter value, except [it] equals my own ⇒ my own echo". carp1 has advertised before
        // (it was MASTER), then hears a more frequent OpenBSD master that keeps sending cookie K.
        var host = _h.Add(Config(advSkew: 100));
        _h.At(3 + (100 / 256.0));
        Assert.Equal(CarpState.Master, host.State);

        var cookie = Packets.V4(Packets.Header(counter: 0xC00C1E));
        _h.RunUntil(4);
        _h.Receive(cookie);
        Assert.Equal(CarpState.Backup, host.State);
        for (var t = 5; t <= 14; t++)
        {
            _h.RunUntil(t);
            Assert.Equal(CarpState.Backup, host.State);
            _h.Receive(cookie);
        }

        Assert.Equal(0, _h.Stats.BadAuth);
        Assert.Equal(3, host.Transitions); // INIT→BACKUP, BACKUP→MASTER, MASTER→BACKUP, and no flapping after that
    }

    [Fact]
    public void Non_carp_frames_are_ignored_and_not_counted()
    {
        var host = Backup();
        var udp = Packets.V4(Packets.Header());
        udp[Packets.V4Protocol] = 17;
        Packets.FixIPv4Checksum(udp);
        var laterFragment = Packets.V4(Packets.Header());
        laterFragment[14 + 7] = 0x05; // fragment offset 5 × 8 bytes: no CARP header in it
        Packets.FixIPv4Checksum(laterFragment);
        var icmp6 = Packets.V6(Packets.Header(addresses: Vip6));
        icmp6[14 + 6] = 58;
        byte[][] frames =
        [
            CarpFrameBuilder.GratuitousArp(Packets.PeerMac, IPAddress.Parse("192.0.2.254")),
            CarpFrameBuilder.UnsolicitedNeighborAdvertisement(Packets.PeerMac, IPAddress.Parse("fe80::2"), IPAddress.Parse("2001:db8::254"), false),
            udp,
            laterFragment,
            icmp6,
            [],
            new byte[13],
            Packets.V4(Packets.Header())[..(14 + 9)], // too short to show the protocol
        ];
        _h.At(1);

        foreach (var frame in frames)
        {
            _h.Receive(frame);
        }

        StatsAssert.Only(_h.Stats);
        AssertStateMachineUntouched(host);
    }

    [Fact]
    public void Allow_0_counts_packets_drops_them_silently_and_holds_every_vhost_in_init()
    {
        var carp1 = _h.Add(Config());
        var carp2 = _h.Add(Config("carp2", vhid: 2));
        _h.At(3);
        Assert.Equal(CarpState.Master, carp1.State);
        _h.Node.SetSysctl("log", 7);
        var eth1 = _h.Node.AddDevice("eth1", linkUp: true);
        _h.Node.Statistics.Reset();
        _h.Output.Clear();

        _h.Node.SetSysctl("allow", 0);

        Assert.Equal(CarpState.Init, carp1.State);
        Assert.Equal(CarpState.Init, carp2.State);
        Assert.All(_h.Output.StateChanges, c => Assert.Equal(TransitionReason.NotAllowed, c.Reason));
        Assert.Equal(2, _h.Output.StateChanges.Count);
        Assert.Contains(_h.Output.AddressChanges, c => c.Host == "carp1" && !c.Present);
        Assert.Null(_h.Node.NextDeadline);
        _h.Output.Clear();

        _h.Receive(Packets.V4(Packets.Header()));
        _h.Receive(Packets.V6(Packets.Header(addresses: Vip6)));
        _h.Receive(Packets.V4(Packets.Header(), ttl: 1));
        _h.Receive(Packets.V4(Packets.Header(pass: "wrong")));
        _h.Receive(Packets.V4(Packets.Header(vhid: 77)));
        _h.Receive(Packets.V4(Packets.Header()), eth1);
        _h.RunUntil(20);

        StatsAssert.Only(_h.Stats, (CarpStatistic.IPackets, 5), (CarpStatistic.IPackets6, 1));
        Assert.Equal(0, _h.Output.TotalCalls);
        Assert.Equal(CarpState.Init, carp1.State);
        Assert.Null(carp1.MasterSeen);

        _h.Node.SetSysctl("allow", 1);

        Assert.Equal(CarpState.Backup, carp1.State);
        Assert.Equal(CarpState.Backup, carp2.State);
        Assert.All(_h.Output.StateChanges, c => Assert.Equal(TransitionReason.Started, c.Reason));
        Assert.Equal(Ts(23), _h.Node.NextDeadline);
    }

    [Fact]
    public void Allow_0_drops_even_a_truncated_packet_silently()
    {
        _h.Add(Config());
        _h.Node.SetSysctl("allow", 0);

        _h.Receive(Packets.V4(Packets.Header())[..(14 + 19)]);

        StatsAssert.Only(_h.Stats, (CarpStatistic.IPackets, 1));
    }

    [Fact]
    public void Advert_for_a_vhost_in_init_changes_nothing()
    {
        var host = _h.Add(Config());
        _h.Node.SetLinkState("eth0", false);
        Assert.Equal(CarpState.Init, host.State);
        _h.Output.Clear();

        _h.Receive(Packets.V4(Packets.Header(advBase: 255, advSkew: 255)));

        Assert.Equal(CarpState.Init, host.State);
        Assert.Equal(0, _h.Output.TotalCalls);
        Assert.Null(_h.Node.NextDeadline);
    }
}
