using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Carp.Engine.Core;
using Carp.Engine.Protocol;

namespace Carp.Benchmarks;

/// <summary>
/// The receive path of a BACKUP hearing its master: one node, carpdev eth0, vhid 1 (advskew 100) in
/// BACKUP, and a valid advert from the peer 192.0.2.2 (advskew 0). Each accepted advert only re-arms
/// the master-down timer, which is the steady state of every backup on a LAN.
/// </summary>
/// <remarks>
/// The clock steps one master-down interval per advert and the benchmark runs the due timers after
/// each advert, as the engine loop does: the re-arm leaves the previous deadline stale in the timer
/// heap and <see cref="CarpNode.RunDueTimers"/> pops it, so the heap keeps its steady-state size
/// instead of growing by one entry per call (which would measure <see cref="PriorityQueue{TElement,TPriority}"/>
/// resizing, not CARP).
/// </remarks>
[MemoryDiagnoser]
[MedianColumn]
[MinColumn]
public class ReceiveBenchmarks
{
    private const byte OwnAdvSkew = 100;

    /// <summary>More than master-down (3 s + 100/256 s) so the previous deadline is due after every advert.</summary>
    private static readonly long Step = 4 * TimeSpan.TicksPerSecond;

    private readonly NullOutput _output = new();
    private readonly ManualClock _clock = new();
    private CarpNode _node = null!;
    private CarpDevice _device = null!;
    private VirtualHost _host = null!;
    private CarpHmac _peerHmac = null!;

    private byte[] _frame = null!;
    private byte[] _payload = null!;
    private byte[] _badHmacFrame = null!;
    private byte[] _badTtlFrame = null!;
    private byte[] _peerSource = null!;
    private CarpAdvertisement _advert;

    [GlobalSetup]
    public void Setup()
    {
        _node = new CarpNode(_output, _clock);
        _device = _node.AddDevice(CarpFixture.CarpDev, linkUp: true, CarpFixture.OwnSource);
        _host = _node.AddVirtualHost(CarpFixture.Config("carp0", CarpFixture.Vhid, CarpFixture.AddressList(CarpFixture.VirtualAddress), OwnAdvSkew));
        CarpFixture.Require(_host.State == CarpState.Backup, $"vhid 1 starts in BACKUP, is {_host.State}");

        _frame = CarpFixture.PeerFrame(CarpFixture.PeerHeader(advSkew: 0, CarpFixture.PeerCounter));
        _payload = CarpFixture.Payload(_frame);
        CarpFixture.Require(CarpHeaderCodec.TryRead(_payload, out _advert), "the advert decodes");
        CarpFixture.Require(CarpFrameReader.TryParse(_frame, out var carp) == CarpFrameStatus.Carp, "the frame parses");
        _peerSource = carp.Source(_frame).ToArray();

        _badHmacFrame = CarpFixture.PeerFrame(CarpFixture.PeerHeader(advSkew: 0, CarpFixture.PeerCounter, corruptHmac: true));
        _badTtlFrame = (byte[])_frame.Clone();
        _badTtlFrame[carp.SourceOffset - 4] = 64; // IPv4 TTL sits 4 bytes before the source address
        _peerHmac = new CarpHmac(CarpFixture.Key, CarpFixture.Vhid, [CarpFixture.VirtualAddress.Address]);

        VerifyBenchmarkAdvertIsAccepted();
        VerifyDropPaths();
        CarpFixture.Require(HmacVerify(), "CarpHmac.Verify accepts the advert");
        CarpFixture.Require(Checksum(), "the checksum is valid");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _peerHmac.Dispose();
        _node.Dispose();
    }

    /// <summary>node.Receive: frame parse, counters, TTL, decode, checksum, vhid lookup, HMAC verify, echo check, state step, timer re-arm; plus the engine loop's pop of the stale deadline.</summary>
    [Benchmark(Baseline = true)]
    public void ReceiveFullPath()
    {
        _clock.Advance(Step);
        _node.Receive(_device, _frame);
        _node.RunDueTimers();
    }

    /// <summary>Stage 1: Ethernet/IPv4 parse (CarpFrameReader).</summary>
    [Benchmark]
    public CarpFrameStatus ParseFrame() => CarpFrameReader.TryParse(_frame, out _);

    /// <summary>Stage 2: RFC 1071 checksum over the 36-byte header.</summary>
    [Benchmark]
    public bool Checksum() => CarpHeaderCodec.IsChecksumValid(_payload);

    /// <summary>Stage 2b: header decode into <see cref="CarpAdvertisement"/>.</summary>
    [Benchmark]
    public byte DecodeHeader() => CarpHeaderCodec.TryRead(_payload, out var advert) ? advert.Vhid : (byte)0;

    /// <summary>Stage 3: HMAC-SHA1 over vhid, addresses and counter, constant-time compare.</summary>
    [Benchmark]
    public bool HmacVerify() => _peerHmac.Verify(CarpFixture.PeerCounter, CarpHeaderCodec.Hmac(_payload));

    /// <summary>Stage 4: BACKUP state step (counter adoption, interval compare, master-down re-arm) and the engine loop's timer pop.</summary>
    [Benchmark]
    public void StateStepAndTimers()
    {
        _clock.Advance(Step);
        _host.OnAdvertisement(in _advert, AddressFamily.InterNetwork, _peerSource, _node.Now);
        _node.RunDueTimers();
    }

    /// <summary>A forged advert: everything up to the HMAC passes, the HMAC fails, badauth counts it.</summary>
    [Benchmark]
    public void DropBadHmac() => _node.Receive(_device, _badHmacFrame);

    /// <summary>An advert with TTL 64 to the multicast group: dropped after the parse, badttl counts it.</summary>
    [Benchmark]
    public void DropBadTtl() => _node.Receive(_device, _badTtlFrame);

    private void VerifyBenchmarkAdvertIsAccepted()
    {
        const int rounds = 1000;
        var before = _node.Statistics.Snapshot();
        var sent = _output.Sent;
        var changes = _output.StateChanges;
        for (var i = 0; i < rounds; i++)
        {
            ReceiveFullPath();
            StateStepAndTimers();
        }

        var after = _node.Statistics.Snapshot();
        CarpFixture.Require(after.IPackets - before.IPackets == rounds, $"every advert is counted in ipackets ({after.IPackets - before.IPackets} of {rounds})");
        CarpFixture.RequireOnlyMoved(before, after, CarpStatistic.IPackets);
        CarpFixture.Require(_host.State == CarpState.Backup, $"vhid 1 stays BACKUP, is {_host.State}");
        CarpFixture.Require(_output.Sent == sent && _output.StateChanges == changes, "the BACKUP neither sends nor changes state");
        CarpFixture.Require(_host.MasterSeen?.Equals(CarpFixture.PeerSource) == true, "the peer is the master seen");
        CarpFixture.Require(_host.NextDeadline is { } deadline && deadline > _clock.GetTimestamp(), "the master-down timer is re-armed into the future");
        CarpFixture.RequireTimerHeapAtMost(_node, 2);
    }

    private void VerifyDropPaths()
    {
        var before = _node.Statistics.Snapshot();
        DropBadHmac();
        var afterHmac = _node.Statistics.Snapshot();
        CarpFixture.Require(afterHmac.BadAuth == before.BadAuth + 1, "the forged advert counts as badauth");
        CarpFixture.RequireOnlyMoved(before, afterHmac, CarpStatistic.IPackets, CarpStatistic.BadAuth);

        DropBadTtl();
        var afterTtl = _node.Statistics.Snapshot();
        CarpFixture.Require(afterTtl.BadTtl == afterHmac.BadTtl + 1, "the TTL-64 advert counts as badttl");
        CarpFixture.RequireOnlyMoved(afterHmac, afterTtl, CarpStatistic.IPackets, CarpStatistic.BadTtl);
        CarpFixture.Require(_host.State == CarpState.Backup, "drops leave vhid 1 in BACKUP");
    }
}
