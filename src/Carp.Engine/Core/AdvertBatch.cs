using System.Net.Sockets;

namespace Carp.Engine.Core;

/// <summary>
/// The periodic adverts of one timer pass that the output queued instead of sending at once
/// (docs/protocol.md#advert-coalescing): they leave together when the pass ends, and only then is each one counted as
/// sent or failed (carpstats, send-error demotion: docs/protocol.md#send-errors), in the order they were queued.
/// Reused from pass to pass: no allocation once it has grown to the number of adverts of a pass.
/// </summary>
internal sealed class AdvertBatch
{
    private (VirtualHost Host, AddressFamily Family)[] _queued = new (VirtualHost, AddressFamily)[16];
    private bool[] _sent = new bool[16];
    private readonly List<VirtualHost> _takeovers = [];
    private int _count;

    /// <summary>Grows the batch to <paramref name="adverts"/> now (as virtual hosts are added), not in a takeover's pass.</summary>
    public void Reserve(int adverts)
    {
        if (adverts > _queued.Length)
        {
            Array.Resize(ref _queued, adverts);
            Array.Resize(ref _sent, adverts);
        }

        _takeovers.EnsureCapacity(adverts);
    }

    /// <summary>True between <see cref="Open"/> (when the output agreed to queue) and <see cref="Close"/>.</summary>
    public bool IsOpen { get; private set; }

    /// <summary>Asks the output to queue the periodic adverts of this pass; it may decline (and send each at once).</summary>
    public void Open(ICarpOutput output) => IsOpen = output.BeginAdvertBatch();

    /// <summary>An advert the output queued: its outcome is known at <see cref="Close"/>.</summary>
    public void Add(VirtualHost host, AddressFamily family)
    {
        if (_count == _queued.Length)
        {
            Array.Resize(ref _queued, _count * 2);
            Array.Resize(ref _sent, _count * 2);
        }

        _queued[_count++] = (host, family);
    }

    /// <summary>
    /// A host that took over in this pass and queued its advert: it takes its addresses once the batch has left, so that
    /// nothing but signing and framing stands between a master-down deadline and the takeover's advert
    /// (docs/protocol.md#advert-coalescing); unless the output holds addresses (<see cref="ICarpOutput.HoldsAddresses"/>).
    /// </summary>
    public void AddTakeover(VirtualHost host) => _takeovers.Add(host);

    /// <summary>
    /// Has the output send what it queued, counts each advert's outcome, then lets the pass's takeovers take their
    /// addresses. Nothing happens when not open.
    /// </summary>
    public void Close(ICarpOutput output)
    {
        if (!IsOpen)
        {
            return;
        }

        IsOpen = false;
        var sent = _sent.AsSpan(0, _count);
        sent.Clear();
        output.FlushAdvertisements(sent);
        for (var i = 0; i < _count; i++)
        {
            var (host, family) = _queued[i];
            _queued[i] = default;
            host.CountSend(family, sent[i]);
        }

        _count = 0;
        foreach (var host in _takeovers)
        {
            host.TakeAddresses();
        }

        _takeovers.Clear();
    }
}
