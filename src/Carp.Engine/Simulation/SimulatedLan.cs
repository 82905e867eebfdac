using System.Net.Sockets;
using Carp.Engine.Core;
using Carp.Engine.Protocol;

namespace Carp.Engine.Simulation;

/// <summary>
/// A deterministic discrete-event LAN: any number of <see cref="SimulatedHost"/>s on
/// <see cref="SimulatedLink"/>s, one simulated clock, one seeded random generator. Time jumps from
/// event to event, so an hour of CARP takes milliseconds, and the same seed gives the same run.
/// </summary>
public sealed class SimulatedLan
{
    private readonly List<SimulatedHost> _hosts = [];
    private readonly List<SimulatedLink> _links = [];
    private readonly List<SimulationEvent> _timeline = [];
    private readonly PriorityQueue<Delivery, (long At, long Sequence)> _deliveries = new();
    private long _sequence;

    public SimulatedLan(int seed = 1)
    {
        Seed = seed;
        Random = new Random(seed);
    }

    public int Seed { get; }

    public SimulatedTimeProvider Clock { get; } = new();

    internal Random Random { get; }

    /// <summary>Record every advert sent in the timeline (off for large runs).</summary>
    public bool RecordAdvertisements { get; set; } = true;

    /// <summary>Called for every frame put on a link (a capture on the switch).</summary>
    public Action<SimulatedLink, SimulatedHost, byte[]>? OnFrame { get; set; }

    public IReadOnlyList<SimulationEvent> Timeline => _timeline;

    public IReadOnlyList<SimulatedHost> Hosts => _hosts;

    public TimeSpan Now => Clock.Elapsed;

    public SimulatedLink AddLink(string name = "lan")
    {
        var link = new SimulatedLink(this, name);
        _links.Add(link);
        return link;
    }

    public SimulatedHost AddHost(string name, CarpSysctls? sysctls = null)
    {
        var host = new SimulatedHost(this, name, _hosts.Count + 1, sysctls);
        _hosts.Add(host);
        return host;
    }

    /// <summary>Runs for <paramref name="duration"/> of simulated time.</summary>
    public void RunFor(TimeSpan duration) => RunUntil(() => false, duration);

    /// <summary>Runs until <paramref name="condition"/> holds (checked after every event) or <paramref name="timeout"/> passes.</summary>
    public bool RunUntil(Func<bool> condition, TimeSpan timeout)
    {
        var limit = Clock.Elapsed.Ticks + timeout.Ticks;
        if (condition())
        {
            return true;
        }

        while (true)
        {
            var next = NextEventTime();
            if (next is null || next > limit)
            {
                Clock.AdvanceTo(limit);
                return condition();
            }

            Clock.AdvanceTo(next.Value);
            Step();
            if (condition())
            {
                return true;
            }
        }
    }

    internal void Deliver(SimulatedPort to, byte[] frame, TimeSpan delay) =>
        _deliveries.Enqueue(new Delivery(to, frame), (Clock.Elapsed.Ticks + delay.Ticks, _sequence++));

    internal void Capture(SimulatedLink link, SimulatedHost from, byte[] frame) => OnFrame?.Invoke(link, from, frame);

    internal void Record(SimulationEvent e) => _timeline.Add(e);

    internal void RecordAdvert(SimulatedHost from, VirtualHost host, AddressFamily family, ReadOnlySpan<byte> header)
    {
        if (RecordAdvertisements && host.IsVrrp && VrrpCodec.TryRead(header, out var vrrp))
        {
            _timeline.Add(new SimulationEvent(Clock.Elapsed, from.Name, host.Name, host.Vhid, SimulationEventKind.Advertisement, host.State, host.State, null,
                $"{(family == AddressFamily.InterNetwork ? "IPv4" : "IPv6")} VRRPv3 priority {vrrp.Priority} interval {vrrp.Interval} cs"));
        }
        else if (RecordAdvertisements && CarpHeaderCodec.TryRead(header, out var advert))
        {
            _timeline.Add(new SimulationEvent(Clock.Elapsed, from.Name, host.Name, host.Vhid, SimulationEventKind.Advertisement, host.State, host.State, null,
                $"{(family == AddressFamily.InterNetwork ? "IPv4" : "IPv6")} advbase {advert.AdvBase} advskew {advert.AdvSkew} demote {advert.DemoteCount}"));
        }
    }

    private long? NextEventTime()
    {
        long? next = _deliveries.TryPeek(out _, out var at) ? at.At : null;
        foreach (var host in _hosts)
        {
            if (host.NextDeadline is { } deadline && (next is null || deadline < next))
            {
                next = deadline;
            }
        }

        return next;
    }

    private void Step()
    {
        var now = Clock.Elapsed.Ticks;
        while (_deliveries.TryPeek(out var delivery, out var at) && at.At <= now)
        {
            _deliveries.Dequeue();
            delivery.To.Host.Receive(delivery.To, delivery.Frame);
        }

        foreach (var host in _hosts)
        {
            host.RunTimers();
        }
    }

    private readonly record struct Delivery(SimulatedPort To, byte[] Frame);
}
