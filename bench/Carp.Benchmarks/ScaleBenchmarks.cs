using BenchmarkDotNet.Attributes;
using Carp.Engine.Core;

namespace Carp.Benchmarks;

/// <summary>
/// The timer path at scale: one node is MASTER of 1000 vhids (4 carpdevs × 250 vhids, since a vhid is
/// unique per carpdev) and all advert timers fall due together; one RunDueTimers sends 1000 adverts to
/// a no-op output. Reported per RunDueTimers call (divide by 1000 for one advert). The coalesced pass: the same 1000
/// masters with their deadlines spread over 19 ms (as virtual MAC mode spreads them), taken by one pass within the
/// 20 ms window (docs/protocol.md#advert-coalescing), each advert framed and queued as the engine does.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[MinColumn]
public class ScaleBenchmarks
{
    private const int Devices = 4;
    private const int VhidsPerDevice = 250;
    public const int VirtualHosts = Devices * VhidsPerDevice;

    private readonly NullOutput _output = new();
    private readonly ManualClock _clock = new();
    private readonly FramingOutput _framing = new();
    private readonly ManualClock _coalescedClock = new();
    private CarpNode _node = null!;
    private CarpNode _coalesced = null!;

    [GlobalSetup]
    public void Setup()
    {
        _node = new CarpNode(_output, _clock);
        for (var d = 0; d < Devices; d++)
        {
            var carpDev = $"eth{d}";
            _node.AddDevice(carpDev, linkUp: true, CarpFixture.OwnSource);
            for (var v = 1; v <= VhidsPerDevice; v++)
            {
                var name = $"carp{(d * VhidsPerDevice) + v}";
                var address = new CarpAddress(new System.Net.IPAddress([10, (byte)d, (byte)v, 1]), 24);
                _node.AddVirtualHost(CarpFixture.Config(name, (byte)v, CarpFixture.AddressList(address), advSkew: 0, carpDev));
                _node.Force(name, CarpState.Master);
            }
        }

        CarpFixture.Require(_node.VirtualHosts.Count(h => h.State == CarpState.Master) == VirtualHosts, "all 1000 vhids are MASTER");

        // First round pops the stale master-down deadlines armed while the vhids were BACKUP.
        _clock.Advance(4 * TimeSpan.TicksPerSecond);
        _node.RunDueTimers();
        var sent = _output.Sent;
        for (var i = 0; i < 10; i++)
        {
            RunDueTimers1000Masters();
        }

        CarpFixture.Require(_output.Sent - sent == 10 * VirtualHosts, $"every round sends {VirtualHosts} adverts ({_output.Sent - sent} in 10 rounds)");
        CarpFixture.RequireTimerHeapAtMost(_node, VirtualHosts);

        // Deadlines 19 µs apart, 19 ms in all: without coalescing 1000 passes per second, with it one.
        _coalesced = new CarpNode(_framing, _coalescedClock);
        for (var d = 0; d < Devices; d++)
        {
            var carpDev = $"eth{d}";
            _coalesced.AddDevice(carpDev, linkUp: true, CarpFixture.OwnSource);
            for (var v = 1; v <= VhidsPerDevice; v++)
            {
                var name = $"carp{(d * VhidsPerDevice) + v}";
                var address = new CarpAddress(new System.Net.IPAddress([10, (byte)d, (byte)v, 1]), 24);
                _coalesced.AddVirtualHost(CarpFixture.Config(name, (byte)v, CarpFixture.AddressList(address), advSkew: 0, carpDev));
                _coalesced.Force(name, CarpState.Master);
                _coalescedClock.Advance(190);
            }
        }

        // The first host's advert deadline: one pass there takes the other 999 too, and they stay together.
        _coalescedClock.Advance(TimeSpan.TicksPerSecond - (VirtualHosts * 190));
        var before = _framing.Sent;
        _coalesced.RunDueTimers();
        CarpFixture.Require(_framing.Sent - before == VirtualHosts, $"one pass at the first deadline sends all {VirtualHosts} adverts ({_framing.Sent - before})");
        CarpFixture.Require(_coalesced.NextDeadline is { } first && _coalesced.VirtualHosts.All(h => h.NextDeadline == first),
            "after one pass the 1000 deadlines are one");
        var passes = _framing.Passes;
        sent = _framing.Sent;
        for (var i = 0; i < 10; i++)
        {
            CoalescedPass1000Masters();
        }

        CarpFixture.Require(_framing.Sent - sent == 10 * VirtualHosts && _framing.Passes - passes == 10,
            $"every pass frames {VirtualHosts} adverts in one batch ({_framing.Sent - sent} in {_framing.Passes - passes} batches)");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _node.Dispose();
        _coalesced.Dispose();
    }

    /// <summary>One second passes: one pass takes the 1000 adverts, signs, encodes and frames each (patched prebuilt frame) and flushes one batch.</summary>
    [Benchmark]
    public void CoalescedPass1000Masters()
    {
        _coalescedClock.Advance(TimeSpan.TicksPerSecond);
        _coalesced.RunDueTimers();
    }

    /// <summary>One second passes: 1000 advert timers fire, 1000 adverts are signed, encoded and handed to the output, 1000 timers re-armed.</summary>
    [Benchmark]
    public void RunDueTimers1000Masters()
    {
        _clock.Advance(TimeSpan.TicksPerSecond);
        _node.RunDueTimers();
    }
}
