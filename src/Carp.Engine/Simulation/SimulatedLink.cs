namespace Carp.Engine.Simulation;

/// <summary>
/// A broadcast segment (a learning switch) between simulated hosts, with loss, delay and partitions: a frame to a unicast
/// MAC last seen as the source of a frame from one port goes to that port alone; everything else is flooded.
/// Every random decision comes from the LAN's seeded generator, so a run is reproducible.
/// </summary>
public sealed class SimulatedLink
{
    private readonly SimulatedLan _lan;
    private readonly List<SimulatedPort> _ports = [];
    private readonly List<Action<byte[]>> _listeners = [];
    private readonly Dictionary<ulong, SimulatedPort> _learned = [];
    private Dictionary<SimulatedHost, int>? _partition;

    internal SimulatedLink(SimulatedLan lan, string name)
    {
        _lan = lan;
        Name = name;
    }

    public string Name { get; }

    /// <summary>Probability (0..1) that a frame does not reach a given receiver.</summary>
    public double Loss { get; set; }

    /// <summary>One-way delivery delay.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Extra random delay, uniformly 0..Jitter.</summary>
    public TimeSpan Jitter { get; set; }

    public long FramesSent { get; private set; }

    public long FramesLost { get; private set; }

    public IReadOnlyList<SimulatedPort> Ports => _ports;

    /// <summary>Hosts in different groups stop hearing each other; hosts not listed hear nobody.</summary>
    public void Partition(params SimulatedHost[][] groups)
    {
        _partition = [];
        for (var i = 0; i < groups.Length; i++)
        {
            foreach (var host in groups[i])
            {
                _partition[host] = i;
            }
        }
    }

    public void Heal() => _partition = null;

    internal void Attach(SimulatedPort port) => _ports.Add(port);

    /// <summary>A station that runs no CARP (a client): it hears every frame put on the link, at once and never lost.</summary>
    public void Listen(Action<byte[]> station) => _listeners.Add(station);

    /// <summary>A frame from such a station: it reaches every host's port with the link's loss, delay and jitter.</summary>
    public void Inject(byte[] frame)
    {
        FramesSent++;
        foreach (var to in _ports)
        {
            DeliverTo(to, frame);
        }
    }

    internal void Transmit(SimulatedPort from, byte[] frame)
    {
        FramesSent++;
        _lan.Capture(this, from.Host, frame);
        if ((frame[6] & 1) == 0)
        {
            _learned[MacKey(frame.AsSpan(6, 6))] = from;
        }

        // As a switch does: learn the source first; a frame to a MAC learnt on the port it came from goes nowhere.
        var owner = (frame[0] & 1) == 0 ? _learned.GetValueOrDefault(MacKey(frame.AsSpan(0, 6))) : null;
        foreach (var to in _ports)
        {
            if (ReferenceEquals(to, from) || !CanHear(from.Host, to.Host) || (owner is not null && !ReferenceEquals(to, owner)))
            {
                continue;
            }

            DeliverTo(to, frame);
        }

        foreach (var station in _listeners)
        {
            station(frame);
        }
    }

    private void DeliverTo(SimulatedPort to, byte[] frame)
    {
        if (Loss > 0 && _lan.Random.NextDouble() < Loss)
        {
            FramesLost++;
            return;
        }

        var delay = Delay + (Jitter > TimeSpan.Zero ? TimeSpan.FromTicks((long)(_lan.Random.NextDouble() * Jitter.Ticks)) : TimeSpan.Zero);
        _lan.Deliver(to, frame, delay);
    }

    private static ulong MacKey(ReadOnlySpan<byte> mac) =>
        ((ulong)mac[0] << 40) | ((ulong)mac[1] << 32) | ((ulong)mac[2] << 24) | ((ulong)mac[3] << 16) | ((ulong)mac[4] << 8) | mac[5];

    private bool CanHear(SimulatedHost a, SimulatedHost b) =>
        _partition is null ||
        (_partition.TryGetValue(a, out var ga) && _partition.TryGetValue(b, out var gb) && ga == gb);
}
