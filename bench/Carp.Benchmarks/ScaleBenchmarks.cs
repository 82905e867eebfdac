using BenchmarkDotNet.Attributes;
using Carp.Engine.Core;

namespace Carp.Benchmarks;

/// <summary>
/// The timer path at scale: one node is MASTER of 1000 vhids (4 carpdevs × 250 vhids, since a vhid is
/// unique per carpdev) and all advert timers fall due together; one RunDueTimers sends 1000 adverts to
/// a no-op output. Reported per RunDueTimers call (divide by 1000 for one advert).
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
    private CarpNode _node = null!;

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
    }

    [GlobalCleanup]
    public void Cleanup() => _node.Dispose();

    /// <summary>One second passes: 1000 advert timers fire, 1000 adverts are signed, encoded and handed to the output, 1000 timers re-armed.</summary>
    [Benchmark]
    public void RunDueTimers1000Masters()
    {
        _clock.Advance(TimeSpan.TicksPerSecond);
        _node.RunDueTimers();
    }
}
