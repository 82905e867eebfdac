using System.Net;
using Carp.Engine.Core;
using Carp.Engine.Protocol;
using static Carp.Engine.Tests.Core.CoreHarness;

namespace Carp.Engine.Tests.Core;

/// <summary>
/// CarpNode.Receive, what passes or is ignored: a TTL below 255 (accepted only from a unicast peer, and not under
/// OpenBSD), the fields nobody checks, our own looped-back adverts, a peer's repeated counter
/// (docs/protocol.md#replay-counter), frames that are not CARP, <c>allow</c> 0 and a virtual host in INIT.
/// </summary>
public sealed class ReceiveAcceptanceTests : ReceiveTestBase
{
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
        var eth1 = _h.Node.AddDevice("eth1", linkUp: true, Eth1V4, Eth1V6);
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
