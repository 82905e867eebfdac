using Carp.Engine.Core;

namespace Carp.Engine.Hosting;

/// <summary>
/// The engine's side of a timer pass's batch (docs/protocol.md#advert-coalescing): frames queued on the ports that can
/// queue (<see cref="IWirePort.CanQueue"/>), sent by one <see cref="IWirePort.Flush"/> per port at the end of the pass, and
/// each queued advert's outcome handed back to the core in the order the core queued them. A port that cannot queue
/// sends at once, and its outcome is remembered for the flush. Reused from pass to pass: no allocation once grown.
/// </summary>
internal sealed class WireBatch
{
    private readonly Dictionary<IWirePort, PortQueue> _known = new(ReferenceEqualityComparer.Instance);
    private readonly List<PortQueue> _ports = [];
    private QueuedAdvert[] _adverts = new QueuedAdvert[16];
    private int _count;

    /// <summary>True from <see cref="Begin"/> to <see cref="Flush"/>.</summary>
    public bool IsOpen { get; private set; }

    public void Begin() => IsOpen = true;

    /// <summary>Grows the advert queue to <paramref name="adverts"/> now (as virtual hosts are added), not in a takeover's pass.</summary>
    public void Reserve(int adverts)
    {
        if (adverts > _adverts.Length)
        {
            Array.Resize(ref _adverts, adverts);
        }
    }

    /// <summary>
    /// An advert frame: outside a pass (not <see cref="IsOpen"/>) sent now, its outcome returned; inside one, queued on
    /// <paramref name="port"/> when it can queue, else sent now. False when it failed now (the core counts it at once);
    /// true when sent now or when its outcome is reported at <see cref="Flush"/>.
    /// </summary>
    public bool Advert(IWirePort port, ReadOnlySpan<byte> frame, VirtualHost host)
    {
        if (!IsOpen)
        {
            return port.Send(frame);
        }

        QueuedAdvert advert;
        if (port.CanQueue)
        {
            var queue = QueueOf(port);
            if (!port.Queue(frame))
            {
                return false;
            }

            advert = new QueuedAdvert(queue, port.Queued - 1, host);
        }
        else if (port.Send(frame))
        {
            advert = new QueuedAdvert(null, 0, host);
        }
        else
        {
            return false;
        }

        if (_count == _adverts.Length)
        {
            Array.Resize(ref _adverts, _count * 2);
        }

        _adverts[_count++] = advert;
        return true;
    }

    /// <summary>
    /// Makes the calls a takeover's advert makes on a new port once, with nothing queued or sent (an empty frame is refused,
    /// an empty queue flushed): the runtime resolves each interface call on a new port type the first time it is made, and
    /// that first resolution cost a fresh process's first takeover a few hundred microseconds (BENCHMARKS.md#first-takeover).
    /// </summary>
    public void Prime(IWirePort port)
    {
        if (IsOpen || !port.CanQueue || port.Queued != 0)
        {
            return;
        }

        _known.TryAdd(port, new PortQueue(port));
        if (!port.Queue([]) && port.Queued == 0)
        {
            _ = port.Flush([]);
        }
    }

    /// <summary>Another frame (an announcement): sent now outside a pass; inside one queued behind the adverts where the port can queue, its outcome not reported.</summary>
    public bool Other(IWirePort port, ReadOnlySpan<byte> frame)
    {
        if (!IsOpen || !port.CanQueue)
        {
            return port.Send(frame);
        }

        QueueOf(port);
        return port.Queue(frame);
    }

    /// <summary>
    /// Flushes every port that queued and writes each advert's outcome into <paramref name="sent"/>, in the order of
    /// <see cref="Advert"/>; calls <paramref name="failed"/> with the host and the port's reason for each one that failed.
    /// </summary>
    public void Flush(Span<bool> sent, Action<VirtualHost, string> failed)
    {
        IsOpen = false;
        foreach (var queue in _ports)
        {
            queue.Flush();
        }

        for (var i = 0; i < _count; i++)
        {
            var advert = _adverts[i];
            var ok = advert.Queue is not { } queue || queue.Sent[advert.Index];
            if (i < sent.Length)
            {
                sent[i] = ok;
            }

            if (!ok)
            {
                failed(advert.Host, advert.Queue!.Error ?? "the frame was not sent");
            }

            _adverts[i] = default;
        }

        _count = 0;
        foreach (var queue in _ports)
        {
            queue.Reset();
        }

        _ports.Clear();
    }

    /// <summary>A port that is closed: its queue is dropped.</summary>
    public void Forget(IWirePort port) => _known.Remove(port);

    private PortQueue QueueOf(IWirePort port)
    {
        if (!_known.TryGetValue(port, out var queue))
        {
            queue = new PortQueue(port);
            _known.Add(port, queue);
        }

        if (!queue.Touched)
        {
            queue.Touched = true;
            _ports.Add(queue);
        }

        return queue;
    }

    private readonly record struct QueuedAdvert(PortQueue? Queue, int Index, VirtualHost Host);

    /// <summary>One port's outcomes of a flush; one per port, kept until <see cref="Forget"/>.</summary>
    private sealed class PortQueue(IWirePort port)
    {
        public IWirePort Port { get; } = port;

        /// <summary>In this pass's list of ports to flush.</summary>
        public bool Touched { get; set; }

        public bool[] Sent { get; private set; } = new bool[16];

        public string? Error { get; private set; }

        public void Flush()
        {
            var queued = Port.Queued;
            if (Sent.Length < queued)
            {
                Sent = new bool[Math.Max(queued, Sent.Length * 2)];
            }

            Sent.AsSpan(0, queued).Clear();
            Error = queued == 0 ? null : Port.Flush(Sent.AsSpan(0, queued));
        }

        public void Reset()
        {
            Error = null;
            Touched = false;
        }
    }
}
