using System.Net;
using Carp.Engine.Core;
using Carp.Engine.Protocol;
using FsCheck.Xunit;
using static Carp.Engine.Tests.Core.CoreHarness;

namespace Carp.Engine.Tests.Core;

/// <summary>
/// Properties of CarpNode.Receive over arbitrary input: it never throws, every received CARP packet is either
/// dropped under exactly one reason (and reported when log ≥ 2) or accepted, and non-CARP input is not counted.
/// </summary>
public class ReceivePropertyTests
{
    private static readonly CarpStatistic[] DropCounters =
    [
        CarpStatistic.BadIf, CarpStatistic.BadTtl, CarpStatistic.HdrOps, CarpStatistic.BadSum, CarpStatistic.BadVer,
        CarpStatistic.BadLen, CarpStatistic.BadAuth, CarpStatistic.BadVhid, CarpStatistic.BadAddrs,
    ];

    private static readonly CarpStatistic[] InputCounters = [CarpStatistic.IPackets, CarpStatistic.IPackets6, .. DropCounters];

    /// <summary>
    /// A node with carp1 (vhid 1, IPv4 only) and carp2 (vhid 2, IPv6 only) on eth0, both BACKUP, and eth1 without vhids.
    /// One family per vhost makes every accepted advert visible: a BACKUP re-arms the master-down of that family
    /// (time moves one tick per frame, so the deadline moves) or becomes MASTER.
    /// </summary>
    private sealed class Rig : IDisposable
    {
        public Rig()
        {
            H.Node.SetSysctl("log", 2);
            Carp1 = H.Add(Config(addresses: Vip));
            Carp2 = H.Add(Config("carp2", vhid: 2, addresses: Vip6));
            Eth1 = H.Node.AddDevice("eth1", linkUp: true, Eth1V4, Eth1V6);
            H.Output.Clear();
        }

        public CoreHarness H { get; } = new();

        public VirtualHost Carp1 { get; }

        public VirtualHost Carp2 { get; }

        public CarpDevice Eth1 { get; }

        public long Accepted { get; private set; }

        public long Frames { get; private set; }

        /// <summary>Delivers one frame and checks the per-frame conservation; false if it was violated.</summary>
        public bool Deliver(byte[] frame, bool onEth1 = false)
        {
            Frames++;
            H.Clock.AdvanceTo(H.Clock.GetTimestamp() + 1);
            var before = H.Stats;
            var looks = Look();
            var reports = H.Output.BadPackets.Count;

            H.Node.Receive(onEth1 ? Eth1 : H.Eth0, frame);

            var after = H.Stats;
            var accepted = !Look().Equals(looks); // value equality (IPAddress has no ==)
            if (accepted)
            {
                Accepted++;
            }

            var received = Delta(before, after, CarpStatistic.IPackets) + Delta(before, after, CarpStatistic.IPackets6);
            var drops = DropCounters.Select(c => Delta(before, after, c)).ToArray();
            var ok = received is 0 or 1
                && drops.All(d => d is 0 or 1)
                && drops.Sum() + (accepted ? 1 : 0) == received
                && H.Output.BadPackets.Count - reports == drops.Sum()
                && (drops.Sum() == 0 || H.Output.BadPackets[^1].Counter == DropCounters[Array.IndexOf(drops, 1L)]);

            // Keep both vhosts in BACKUP so the next acceptance is visible again.
            foreach (var host in new[] { Carp1, Carp2 })
            {
                if (host.State == CarpState.Master)
                {
                    H.Node.Force(host.Name, CarpState.Backup);
                }
            }

            return ok;
        }

        /// <summary>Total conservation over the run: Σ drop counters + accepted adverts == ipackets + ipackets6.</summary>
        public bool Conserved()
        {
            var s = H.Stats;
            return DropCounters.Sum(c => s[c]) + Accepted == s.IPackets + s.IPackets6
                && s.BadAddrs == 0 && s.OStates == 0
                && H.Output.BadPackets.Count == DropCounters.Sum(c => s[c]);
        }

        public void Dispose() => H.Dispose();

        private (CarpState, long?, IPAddress?, CarpState, long?, IPAddress?) Look() =>
            (Carp1.State, Carp1.NextDeadline, Carp1.MasterSeen, Carp2.State, Carp2.NextDeadline, Carp2.MasterSeen);

        private static long Delta(CarpStatisticsSnapshot before, CarpStatisticsSnapshot after, CarpStatistic c) => after[c] - before[c];
    }

    private static byte[] ValidFrame(bool v6, ulong counter, byte advBase = 1, byte advSkew = 0, int source = 2)
    {
        var header = Packets.Header(vhid: v6 ? (byte)2 : (byte)1, advBase: advBase, advSkew: advSkew, counter: counter, addresses: v6 ? Vip6 : Vip);
        return v6
            ? Packets.V6(header, source: $"2001:db8::{source & 0xFFFF:x}")
            : Packets.V4(header, source: $"10.{(source >> 16) & 0xFF}.{(source >> 8) & 0xFF}.{source & 0xFF}");
    }

    [Property(MaxTest = 300)]
    public bool Receive_never_throws_for_arbitrary_bytes(byte[]? bytes, byte shape)
    {
        using var rig = new Rig();
        bytes ??= [];
        var template = ValidFrame(shape % 2 == 1, 1);
        var payload = Packets.PayloadOffset(shape % 2 == 1);
        byte[] frame = (shape % 4) switch
        {
            0 or 1 => bytes,                                       // anything at all
            2 => [.. template.AsSpan(0, 14), .. bytes],             // Ethernet + arbitrary "IP"
            _ => [.. template.AsSpan(0, payload), .. bytes],        // a real IP header + arbitrary payload
        };

        var ok = rig.Deliver(frame) && rig.Deliver(frame, onEth1: true);
        return ok && rig.Conserved() && rig.Accepted == 0;
    }

    [Property(MaxTest = 500)]
    public bool Receive_never_throws_for_mutations_of_a_valid_advert(bool v6, byte[]? positions, byte[]? values, bool fixChecksum, int cut, byte[]? extra)
    {
        using var rig = new Rig();
        var frame = ValidFrame(v6, 0x1111);
        positions ??= [];
        values ??= [];
        for (var i = 0; i < Math.Min(positions.Length, values.Length); i++)
        {
            frame[positions[i] % frame.Length] = values[i];
        }

        var payload = Packets.PayloadOffset(v6);
        if (fixChecksum)
        {
            Packets.FixCarpChecksum(frame, payload);
        }

        if (cut < 0)
        {
            frame = frame[..(int)((uint)cut % (uint)(frame.Length + 1))];
        }
        else if (extra is not null)
        {
            frame = [.. frame, .. extra];
        }

        return rig.Deliver(frame) && rig.Conserved();
    }

    [Property(MaxTest = 60)]
    public bool Drops_plus_accepted_equals_received_over_a_run_of_mutated_frames(int seed)
    {
        using var rig = new Rig();
        var random = new Random(seed);
        var ok = true;
        for (var i = 1; i <= 150; i++)
        {
            var v6 = random.Next(2) == 1;
            byte[] advBases = [1, 1, 1, 2, 4, 255];
            var frame = ValidFrame(v6, (ulong)i * 1000, advBases[random.Next(advBases.Length)], (byte)random.Next(256), i);
            var payload = Packets.PayloadOffset(v6);
            var onEth1 = false;
            var mutations = random.Next(3);
            for (var m = 0; m < mutations; m++)
            {
                switch (random.Next(9))
                {
                    case 0 when frame.Length > 0: // any byte
                        frame[random.Next(frame.Length)] = (byte)random.Next(256);
                        break;
                    case 1 when frame.Length >= payload + 36: // a bit of the CARP header, checksum left stale
                        frame[payload + random.Next(36)] ^= (byte)(1 << random.Next(8));
                        break;
                    case 2 when frame.Length >= payload + 36: // a CARP header byte, checksum repaired: only version, vhid, counter, HMAC matter
                        frame[payload + random.Next(36)] = (byte)random.Next(256);
                        Packets.FixCarpChecksum(frame, payload);
                        break;
                    case 3 when frame.Length > Packets.V4Ttl: // TTL / hop limit
                        frame[v6 ? Packets.V6HopLimit : Packets.V4Ttl] = (byte)random.Next(256);
                        break;
                    case 4: // truncate anywhere
                        frame = frame[..random.Next(frame.Length + 1)];
                        break;
                    case 5: // trailing bytes
                        frame = [.. frame, .. Enumerable.Range(0, random.Next(1, 40)).Select(_ => (byte)random.Next(256))];
                        break;
                    case 6: // the IP length field
                        if (frame.Length > 19)
                        {
                            frame[v6 ? Packets.V6PayloadLength + 1 : Packets.V4TotalLength + 1] = (byte)random.Next(256);
                        }

                        break;
                    case 7: // the IP header's first byte (version / IHL)
                        if (frame.Length > 14)
                        {
                            frame[14] = (byte)random.Next(256);
                        }

                        break;
                    case 8:
                        onEth1 = true;
                        break;
                    default: // a mutation that no longer fits a truncated frame
                        break;
                }
            }

            ok &= rig.Deliver(frame, onEth1);
        }

        // The generator must actually exercise both outcomes.
        var s = rig.H.Stats;
        return ok && rig.Conserved() && rig.Accepted > 0 && DropCounters.Sum(c => s[c]) > 0;
    }

    [Fact]
    public void Conservation_check_sees_every_kind_of_outcome()
    {
        // The oracle itself: a valid advert is seen as accepted, a bad one as one drop, a non-CARP frame as nothing.
        using var rig = new Rig();
        var arp = CarpFrameBuilder.GratuitousArp(Packets.PeerMac, IPAddress.Parse("192.0.2.254"));

        Assert.True(rig.Deliver(ValidFrame(false, 1)));
        Assert.True(rig.Deliver(ValidFrame(true, 2)));
        Assert.True(rig.Deliver(ValidFrame(false, 3, advBase: 255, advSkew: 255))); // takes over, then forced back
        Assert.True(rig.Deliver(Packets.V4(Packets.Header(pass: "x"))));
        Assert.True(rig.Deliver(ValidFrame(false, 4), onEth1: true));
        Assert.True(rig.Deliver(arp));

        Assert.Equal(3, rig.Accepted);
        Assert.True(rig.Conserved());
        StatsAssert.Only(rig.H.Stats, (CarpStatistic.IPackets, 4), (CarpStatistic.IPackets6, 1),
            (CarpStatistic.BadAuth, 1), (CarpStatistic.BadIf, 1),
            (CarpStatistic.OPackets, 1), (CarpStatistic.Preempt, 1));
        Assert.All(InputCounters, c => Assert.True(rig.H.Stats[c] >= 0));
    }
}
