using System.Net;
using Carp.Engine.Core;
using Carp.Engine.Protocol;
using static Carp.Engine.Tests.Core.CoreHarness;

namespace Carp.Engine.Tests.Core;

/// <summary>
/// CarpNode.Receive, the checks: each check of docs/protocol.md#receive-checks with a crafted packet, the one counter it
/// moves (docs/protocol.md#carpstats), the order in which they run, and that a dropped packet leaves the state machine
/// alone (the BACKUP's master-down still fires on time).
/// </summary>
public sealed class ReceiveCheckTests : ReceiveTestBase
{
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
        var eth1 = _h.Node.AddDevice("eth1", linkUp: true, Eth1V4, Eth1V6);
        _h.At(1);

        _h.Receive(Packets.V4(Packets.Header()), eth1);

        StatsAssert.Only(_h.Stats, (CarpStatistic.IPackets, 1), (CarpStatistic.BadIf, 1));
        AssertStateMachineUntouched(host);
    }

    [Fact]
    public void Vhid_known_on_another_carpdev_is_badvhid_here()
    {
        _h.Node.AddDevice("eth1", linkUp: true, Eth1V4, Eth1V6);
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
        var eth1 = _h.Node.AddDevice("eth1", linkUp: true, Eth1V4, Eth1V6);
        var broken = Packets.V4(Packets.Header(pass: "x"), ttl: 1)[..(Packets.V4Payload + 10)];

        _h.Receive(broken, eth1);

        StatsAssert.Only(_h.Stats, (CarpStatistic.IPackets, 1), (CarpStatistic.BadIf, 1));
    }
}
