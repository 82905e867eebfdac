using System.Net;
using System.Reflection;
using System.Net.NetworkInformation;
using Carp.Engine.Core;
using Carp.Engine.Protocol;

namespace Carp.Benchmarks;

/// <summary>
/// The setting every benchmark shares: carpdev eth0 (192.0.2.1, link up), vhid 1 with pass "foobar"
/// and 192.0.2.254/24, and a peer at 192.0.2.2 whose adverts are built the way a real peer builds them.
/// </summary>
internal static class CarpFixture
{
    public const string CarpDev = "eth0";
    public const byte Vhid = 1;
    public const string Pass = "foobar";

    /// <summary>The counter of the peer's benchmark advert; any value the node has not sent itself.</summary>
    public const ulong PeerCounter = 0x0123_4567_89AB_CDEF;

    /// <summary>TOS 0x10, as the default dscp sysctl gives.</summary>
    public const byte TrafficClass = 0x10;

    public static readonly IPAddress OwnSource = IPAddress.Parse("192.0.2.1");
    public static readonly IPAddress PeerSource = IPAddress.Parse("192.0.2.2");
    public static readonly PhysicalAddress PeerMac = PhysicalAddress.Parse("02-00-00-00-00-02");
    public static readonly CarpAddress VirtualAddress = CarpAddress.Parse("192.0.2.254/24");
    public static readonly CarpKey Key = CarpKey.FromPassphrase(Pass);

    /// <summary>
    /// The address list as carpd builds it from its configuration file (ConfigurationStatement.ToConfig:
    /// <c>Addresses = [.. Addresses]</c> from a <see cref="List{T}"/>), the daemon's production path.
    /// </summary>
    public static IReadOnlyList<CarpAddress> AddressList(params CarpAddress[] addresses)
    {
        List<CarpAddress> statementAddresses = [.. addresses];
        return [.. statementAddresses];
    }

    public static VirtualHostConfig Config(string name, byte vhid, IReadOnlyList<CarpAddress> addresses, byte advSkew, string carpDev = CarpDev) => new()
    {
        Name = name,
        Vhid = vhid,
        CarpDev = carpDev,
        Addresses = addresses,
        AdvBase = 1,
        AdvSkew = advSkew,
        Key = Key,
    };

    /// <summary>A 36-byte header as the peer signs it: advbase 1, the given advskew, HMAC over vhid 1 and 192.0.2.254.</summary>
    public static byte[] PeerHeader(byte advSkew, ulong counter, bool corruptHmac = false)
    {
        using var hmac = new CarpHmac(Key, Vhid, [VirtualAddress.Address]);
        var mac = new byte[CarpConstants.HmacLength];
        hmac.Compute(counter, mac);
        if (corruptHmac)
        {
            mac[0] ^= 0x01;
        }

        // The checksum is computed over the (possibly corrupted) HMAC, so only the HMAC check can fail.
        var header = new byte[CarpConstants.HeaderLength];
        CarpHeaderCodec.Write(header, Vhid, advSkew, demoteCount: 0, advBase: 1, counter, mac);
        return header;
    }

    /// <summary>The peer's Ethernet frame to 224.0.0.18 carrying <paramref name="header"/>.</summary>
    public static byte[] PeerFrame(byte[] header) =>
        CarpFrameBuilder.Advertisement(PeerMac, PeerSource, CarpConstants.MulticastV4, TrafficClass, header);

    /// <summary>The frame's payload (the CARP header) as the reader locates it.</summary>
    public static byte[] Payload(byte[] frame)
    {
        if (CarpFrameReader.TryParse(frame, out var carp) != CarpFrameStatus.Carp)
        {
            throw new InvalidOperationException("The benchmark frame does not parse as CARP.");
        }

        return carp.Payload(frame).ToArray();
    }

    /// <summary>Throws unless <paramref name="condition"/> holds: a benchmark whose setup is wrong measures nothing.</summary>
    public static void Require(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException("Benchmark setup check failed: " + what);
        }
    }

    /// <summary>
    /// The node's timer heap must not grow with the number of benchmark calls (stale entries are popped
    /// by RunDueTimers). The heap is private, so this looks it up by reflection and skips if it moved.
    /// </summary>
    public static void RequireTimerHeapAtMost(CarpNode node, int entries)
    {
        var field = typeof(CarpNode).GetField("_timers", BindingFlags.NonPublic | BindingFlags.Instance);
        if (field?.GetValue(node) is TimerQueue timers)
        {
            Require(timers.Count <= entries, $"the timer heap holds {timers.Count} entries, expected at most {entries}");
        }
        else
        {
            Console.WriteLine("// note: CarpNode._timers not found; timer heap size not checked");
        }
    }

    /// <summary>Counters other than the packet counters and the given one must not have moved.</summary>
    public static void RequireOnlyMoved(CarpStatisticsSnapshot before, CarpStatisticsSnapshot after, params CarpStatistic[] allowed)
    {
        foreach (var statistic in Enum.GetValues<CarpStatistic>())
        {
            if (Array.IndexOf(allowed, statistic) < 0)
            {
                Require(before[statistic] == after[statistic], $"counter {statistic} moved from {before[statistic]} to {after[statistic]}");
            }
        }
    }
}
