using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using Carp.Engine.Core;
using Carp.Engine.Protocol;
using Carp.Engine.Simulation;
using static Carp.Engine.Tests.Core.CoreHarness;

namespace Carp.Engine.Tests.Core;

/// <summary>
/// One <see cref="CarpNode"/> driven directly: a recording output, simulated time (100 ns ticks from 0)
/// and a carpdev "eth0" at 192.0.2.1 / 2001:db8::1. Time only moves when a test moves it.
/// </summary>
internal sealed class CoreHarness : IDisposable
{
    public const string Pass = "foobar";
    public const string Vip = "192.0.2.254/24";
    public const string Vip6 = "2001:db8::254/64";

    /// <summary>Source addresses for a second carpdev "eth1" that tests add themselves.</summary>
    public static readonly IPAddress Eth1V4 = IPAddress.Parse("198.51.100.1");
    public static readonly IPAddress Eth1V6 = IPAddress.Parse("fe80::1");

    public CoreHarness(CarpSysctls? sysctls = null)
    {
        Node = new CarpNode(Output, Clock, sysctls, new Random(12345));
        Eth0 = Node.AddDevice("eth0", linkUp: true, IPAddress.Parse("192.0.2.1"), IPAddress.Parse("2001:db8::1"));
    }

    public SimulatedTimeProvider Clock { get; } = new();

    public RecordingOutput Output { get; } = new();

    public CarpNode Node { get; }

    public CarpDevice Eth0 { get; }

    public CarpStatisticsSnapshot Stats => Node.Statistics.Snapshot();

    public static VirtualHostConfig Config(string name = "carp1", byte vhid = 1, string device = "eth0", byte advBase = 1, byte advSkew = 0,
        string pass = Pass, CompatibilityProfile? profile = null, IPAddress? peer = null, params string[] addresses) => new()
        {
            Name = name,
            Vhid = vhid,
            CarpDev = device,
            AdvBase = advBase,
            AdvSkew = advSkew,
            Key = CarpKey.FromPassphrase(pass),
            Addresses = (addresses.Length == 0 ? [Vip] : addresses).Select(CarpAddress.Parse).ToArray(),
            Profile = profile ?? CompatibilityProfile.FreeBsd,
            Peer = peer,
        };

    /// <summary>Simulated-clock timestamp of <paramref name="seconds"/> after the start.</summary>
    public static long Ts(double seconds) => (long)Math.Round(seconds * TimeSpan.TicksPerSecond);

    public VirtualHost Add(VirtualHostConfig config) => Node.AddVirtualHost(config);

    /// <summary>Moves the clock to <paramref name="seconds"/> and fires whatever is due.</summary>
    public void At(double seconds) => AtTicks(Ts(seconds));

    public void AtTicks(long ticks)
    {
        Clock.AdvanceTo(ticks);
        Node.RunDueTimers();
    }

    /// <summary>Steps the clock through every armed deadline up to <paramref name="seconds"/>, firing each on time.</summary>
    public void RunUntil(double seconds)
    {
        var limit = Ts(seconds);
        while (Node.NextDeadline is { } next && next <= limit)
        {
            AtTicks(Math.Max(next, Clock.GetTimestamp()));
        }

        AtTicks(limit);
    }

    public void Receive(byte[] frame, CarpDevice? device = null) => Node.Receive(device ?? Eth0, frame);

    public void Dispose() => Node.Dispose();
}

/// <summary>Crafts advert frames as a peer would send them, and the byte surgery that breaks them.</summary>
internal static class Packets
{
    public const int V4Payload = 14 + 20;
    public const int V6Payload = 14 + 40;
    public const int V4TotalLength = 14 + 2;
    public const int V4Ttl = 14 + 8;
    public const int V4Protocol = 14 + 9;
    public const int V6PayloadLength = 14 + 4;
    public const int V6HopLimit = 14 + 7;

    public static readonly PhysicalAddress PeerMac = CarpMac.Virtual(1);
    public static readonly PhysicalAddress OwnMac = PhysicalAddress.Parse("02-00-00-00-00-01");

    /// <summary>A 36-byte header with a valid checksum and the HMAC of <paramref name="pass"/>, <paramref name="hmacVhid"/> and <paramref name="addresses"/>.</summary>
    public static byte[] Header(byte vhid = 1, byte advBase = 1, byte advSkew = 0, byte demote = 0, ulong counter = 0x0102030405060708,
        string pass = CoreHarness.Pass, byte? hmacVhid = null, params string[] addresses)
    {
        using var hmac = new CarpHmac(CarpKey.FromPassphrase(pass), hmacVhid ?? vhid,
            (addresses.Length == 0 ? [CoreHarness.Vip] : addresses).Select(a => CarpAddress.Parse(a).Address));
        var digest = new byte[CarpConstants.HmacLength];
        hmac.Compute(counter, digest);
        var header = new byte[CarpConstants.HeaderLength];
        CarpHeaderCodec.Write(header, vhid, advSkew, demote, advBase, counter, digest);
        return header;
    }

    public static byte[] V4(byte[] header, string source = "192.0.2.2", string destination = "224.0.0.18", byte ttl = 255)
    {
        var frame = CarpFrameBuilder.Advertisement(PeerMac, IPAddress.Parse(source), IPAddress.Parse(destination), 0x10, header, OwnMac);
        if (ttl != CarpConstants.Ttl)
        {
            frame[V4Ttl] = ttl;
            FixIPv4Checksum(frame);
        }

        return frame;
    }

    public static byte[] V6(byte[] header, string source = "2001:db8::2", string destination = "ff02::12", byte hopLimit = 255)
    {
        var frame = CarpFrameBuilder.Advertisement(PeerMac, IPAddress.Parse(source), IPAddress.Parse(destination), 0, header, OwnMac);
        frame[V6HopLimit] = hopLimit;
        return frame;
    }

    public static byte[] Frame(bool v6, byte[] header) => v6 ? V6(header) : V4(header);

    public static int PayloadOffset(bool v6) => v6 ? V6Payload : V4Payload;

    public static void FixIPv4Checksum(byte[] frame)
    {
        frame[14 + 10] = 0;
        frame[14 + 11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14 + 10), InternetChecksum.Compute(frame.AsSpan(14, 20)));
    }

    /// <summary>Recomputes the CARP checksum of the header at <paramref name="offset"/> (the first 36 bytes).</summary>
    public static void FixCarpChecksum(Span<byte> frame, int offset)
    {
        var header = frame.Slice(offset, CarpConstants.HeaderLength);
        header[6] = 0;
        header[7] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(header[6..], InternetChecksum.Compute(header));
    }

    public static byte[] FixedChecksum(byte[] header)
    {
        var copy = (byte[])header.Clone();
        FixCarpChecksum(copy, 0);
        return copy;
    }
}

internal static class StatsAssert
{
    /// <summary>Every one of the 16 counters is 0 except the listed ones, which have exactly the listed values.</summary>
    public static void Only(CarpStatisticsSnapshot snapshot, params (CarpStatistic Counter, long Value)[] expected)
    {
        var want = new long[CarpStatistics.Count];
        foreach (var (counter, value) in expected)
        {
            want[(int)counter] = value;
        }

        var actual = Enum.GetValues<CarpStatistic>().Select(s => $"{s}={snapshot[s]}");
        var wanted = Enum.GetValues<CarpStatistic>().Select(s => $"{s}={want[(int)s]}");
        Assert.Equal(wanted, actual);
    }
}

/// <summary>Receive tests start from carp1 in BACKUP on <see cref="CoreHarness"/>'s eth0 and check what a packet did to it.</summary>
public abstract class ReceiveTestBase : IDisposable
{
    private protected readonly CoreHarness _h = new();

    public void Dispose() => _h.Dispose();

    protected static CarpStatistic In(bool v6) => v6 ? CarpStatistic.IPackets6 : CarpStatistic.IPackets;

    /// <summary>carp1 (vhid 1, advbase 1, advskew 0) in BACKUP since t=0, master-down due at exactly 3 s.</summary>
    protected VirtualHost Backup(bool v6 = false, string? peer = null, CompatibilityProfile? profile = null)
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
    protected void AssertStateMachineUntouched(VirtualHost host)
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
    protected void AssertAccepted(VirtualHost host, bool v6)
    {
        StatsAssert.Only(_h.Stats, (In(v6), 1));
        Assert.Equal(CarpState.Backup, host.State);
        Assert.Equal(Ts(4), _h.Node.NextDeadline);
        _h.At(3);
        Assert.Equal(CarpState.Backup, host.State);
        _h.At(4);
        Assert.Equal(CarpState.Master, host.State);
    }
}
