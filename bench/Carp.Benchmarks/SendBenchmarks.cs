using BenchmarkDotNet.Attributes;
using Carp.Engine.Core;
using Carp.Engine.Protocol;

namespace Carp.Benchmarks;

/// <summary>
/// The send path: signing and encoding the 36-byte header (what the engine does per advert), a MASTER's
/// timer firing one advert through the engine, and the Ethernet frame: the engine's prebuilt frame patched
/// per advert (docs/protocol.md#prebuilt-advert-frames), next to building it with PacketDotNet as before.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[MinColumn]
public class SendBenchmarks
{
    private readonly byte[] _mac = new byte[CarpConstants.HmacLength];
    private readonly byte[] _header = new byte[CarpConstants.HeaderLength];
    private readonly NullOutput _output = new();
    private readonly ManualClock _clock = new();
    private readonly ManualClock _adoptedClock = new();
    private CarpHmac _hmac = null!;
    private CarpNode _node = null!;
    private VirtualHost _master = null!;
    private CarpNode _adoptedNode = null!;
    private VirtualHost _adoptedMaster = null!;
    private ulong _counter = CarpFixture.PeerCounter;
    private readonly AdvertFrameTemplate _template = new(CarpFixture.PeerMac, CarpFixture.OwnSource, CarpConstants.MulticastV4, CarpFixture.TrafficClass);
    private readonly BlockRandom _identifications = new();

    [GlobalSetup]
    public void Setup()
    {
        _hmac = new CarpHmac(CarpFixture.Key, CarpFixture.Vhid, [CarpFixture.VirtualAddress.Address]);
        SignAndEncode();
        CarpFixture.Require(CarpHeaderCodec.IsChecksumValid(_header), "the encoded header has a valid checksum");
        CarpFixture.Require(CarpHeaderCodec.TryRead(_header, out var advert) && _hmac.Verify(advert.Counter, CarpHeaderCodec.Hmac(_header)),
            "the encoded header verifies");
        CarpFixture.Require(BuildFrame() == 14 + 20 + 36, "the frame is Ethernet + IPv4 + CARP");
        CarpFixture.Require(BuildFramePacketDotNet().Length == 14 + 20 + 36, "the PacketDotNet frame is Ethernet + IPv4 + CARP");
        var id = _identifications.NextUInt16();
        CarpFixture.Require(_template.Write(_header, id).SequenceEqual(
            CarpFrameBuilder.Advertisement(CarpFixture.PeerMac, CarpFixture.OwnSource, CarpConstants.MulticastV4, CarpFixture.TrafficClass, _header, identification: id)),
            "the patched frame equals PacketDotNet's");

        _node = new CarpNode(_output, _clock);
        _node.AddDevice(CarpFixture.CarpDev, linkUp: true, CarpFixture.OwnSource);
        _master = _node.AddVirtualHost(CarpFixture.Config("carp0", CarpFixture.Vhid, CarpFixture.AddressList(CarpFixture.VirtualAddress), advSkew: 0));
        _node.Force("carp0", CarpState.Master);
        CarpFixture.Require(_master.State == CarpState.Master, $"vhid 1 is MASTER, is {_master.State}");

        var sent = _output.Sent;
        for (var i = 0; i < 1000; i++)
        {
            SendTimerPath();
        }

        CarpFixture.Require(_output.Sent - sent == 1000, $"every timer sends one advert ({_output.Sent - sent} of 1000)");
        CarpFixture.Require(_master.State == CarpState.Master, "vhid 1 stays MASTER");
        CarpFixture.RequireTimerHeapAtMost(_node, 2);

        // A MASTER that has heard a (lower-priority) peer adopts its counter and increments it from
        // then on, instead of drawing a random counter from the CSPRNG for every advert (docs/protocol.md#replay-counter).
        _adoptedNode = new CarpNode(_output, _adoptedClock);
        var device = _adoptedNode.AddDevice(CarpFixture.CarpDev, linkUp: true, CarpFixture.OwnSource);
        _adoptedMaster = _adoptedNode.AddVirtualHost(CarpFixture.Config("carp0", CarpFixture.Vhid, CarpFixture.AddressList(CarpFixture.VirtualAddress), advSkew: 0));
        _adoptedNode.Force("carp0", CarpState.Master);
        var before = _adoptedNode.Statistics.Snapshot();
        _adoptedNode.Receive(device, CarpFixture.PeerFrame(CarpFixture.PeerHeader(advSkew: 200, CarpFixture.PeerCounter)));
        CarpFixture.RequireOnlyMoved(before, _adoptedNode.Statistics.Snapshot(), CarpStatistic.IPackets);
        sent = _output.Sent;
        for (var i = 0; i < 1000; i++)
        {
            SendTimerPathAdoptedCounter();
        }

        CarpFixture.Require(_output.Sent - sent == 1000, $"every timer sends one advert ({_output.Sent - sent} of 1000)");
        CarpFixture.Require(_adoptedMaster.State == CarpState.Master, "the adopting vhid 1 stays MASTER");
        CarpFixture.RequireTimerHeapAtMost(_adoptedNode, 2);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _hmac.Dispose();
        _node.Dispose();
        _adoptedNode.Dispose();
    }

    /// <summary>CarpHmac.Compute + CarpHeaderCodec.Write: the per-advert work of VirtualHost.SendAdvertisements.</summary>
    [Benchmark(Baseline = true)]
    public void SignAndEncode()
    {
        var counter = ++_counter;
        _hmac.Compute(counter, _mac);
        CarpHeaderCodec.Write(_header, CarpFixture.Vhid, advSkew: 0, demoteCount: 0, advBase: 1, counter, _mac);
    }

    /// <summary>A MASTER's advert timer fires: RunDueTimers → counter, sign, encode, ICarpOutput.SendAdvertisement (no-op), statistics, re-arm.</summary>
    [Benchmark]
    public void SendTimerPath()
    {
        _clock.Advance(TimeSpan.TicksPerSecond);
        _node.RunDueTimers();
    }

    /// <summary>As <see cref="SendTimerPath"/>, for a MASTER that adopted a peer's counter (counter + 1 instead of a CSPRNG draw).</summary>
    [Benchmark]
    public void SendTimerPathAdoptedCounter()
    {
        _adoptedClock.Advance(TimeSpan.TicksPerSecond);
        _adoptedNode.RunDueTimers();
    }

    /// <summary>RandomCounterSource.Next: the CSPRNG draw a MASTER makes per advert until it has heard a peer (docs/protocol.md#replay-counter).</summary>
    [Benchmark]
    public ulong RandomCounter() => _node.RandomCounters.Next();

    /// <summary>The engine's advert frame: the prebuilt Ethernet + IPv4 frame with the CARP header, a block-drawn IPv4 ID and the IP checksum patched in.</summary>
    [Benchmark]
    public int BuildFrame() => _template.Write(_header, _identifications.NextUInt16()).Length;

    /// <summary>CarpFrameBuilder.Advertisement: Ethernet + IPv4 + CARP frame with PacketDotNet, as the engine built every advert before (allocates).</summary>
    [Benchmark]
    public byte[] BuildFramePacketDotNet() =>
        CarpFrameBuilder.Advertisement(CarpFixture.PeerMac, CarpFixture.OwnSource, CarpConstants.MulticastV4, CarpFixture.TrafficClass, _header);
}
