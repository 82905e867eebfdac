using Carp.Engine.Core;

namespace Carp.Engine.Hosting;

/// <summary>
/// Runs one <see cref="SegmentWatch"/> per watched interface behind a lock, fed from capture threads (a pcap capture, an
/// in-memory LAN's port) through <see cref="Attach"/> (docs/protocol.md#segment-watch). Sends nothing. The reader polls
/// <see cref="TakeChanges"/> and <see cref="Snapshot"/>, waiting on <see cref="WaitForChange"/> in between.
/// </summary>
public sealed class SegmentMonitor : IDisposable
{
    private readonly Lock _gate = new();
    private readonly SegmentWatchOptions _options;
    private readonly TimeProvider _time;
    private readonly List<SegmentWatch> _watches = [];
    private readonly List<IDisposable> _sources = [];
    private readonly SemaphoreSlim _received = new(0, int.MaxValue);
    private bool _disposed;

    public SegmentMonitor(SegmentWatchOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>A watch for <paramref name="interfaceName"/>; give the returned handler to the capture of that interface.</summary>
    public FrameHandler Attach(string interfaceName)
    {
        var watch = new SegmentWatch(_time, _options with { Interface = interfaceName });
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _watches.Add(watch);
        }

        return (frame, _) =>
        {
            lock (_gate)
            {
                if (_disposed)
                {
                    return;
                }

                watch.Receive(frame);
            }

            if (_received.CurrentCount == 0)
            {
                _received.Release();
            }
        };
    }

    /// <summary>A capture to stop (dispose) with the monitor.</summary>
    public void AddSource(IDisposable source)
    {
        ArgumentNullException.ThrowIfNull(source);
        lock (_gate)
        {
            _sources.Add(source);
        }
    }

    /// <summary>Frames received on every interface.</summary>
    public long Frames => Sum(w => w.Frames);

    /// <summary>Malformed protocol-112 packets dropped.</summary>
    public long BadPackets => Sum(w => w.BadPackets);

    /// <summary>Packets not modelled (VRRPv2, vhids not watched).</summary>
    public long IgnoredPackets => Sum(w => w.IgnoredPackets);

    /// <summary>CARP adverts whose HMAC could not be checked (no address of their vhid known).</summary>
    public long HmacUnchecked => Sum(w => w.HmacUnchecked);

    /// <summary>Waits until a frame arrives or <paramref name="timeout"/> passes.</summary>
    public bool WaitForChange(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            return _received.Wait(timeout, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>The changes of every interface since the last call (silences checked first).</summary>
    public IReadOnlyList<object> TakeChanges()
    {
        lock (_gate)
        {
            var changes = new List<object>();
            foreach (var watch in _watches)
            {
                watch.Tick();
                changes.AddRange(watch.TakeChanges());
            }

            return changes;
        }
    }

    /// <summary>Every entry of every interface.</summary>
    public IReadOnlyList<SegmentEntry> Snapshot()
    {
        lock (_gate)
        {
            foreach (var watch in _watches)
            {
                watch.Tick();
            }

            return [.. _watches.SelectMany(w => w.Snapshot())];
        }
    }

    /// <summary>Watches for <paramref name="duration"/> (or until cancelled) and returns the entries then.</summary>
    public IReadOnlyList<SegmentEntry> Collect(TimeSpan duration, CancellationToken cancellationToken)
    {
        var end = _time.GetTimestamp() + (long)(duration.TotalSeconds * _time.TimestampFrequency);
        while (!cancellationToken.IsCancellationRequested)
        {
            var left = end - _time.GetTimestamp();
            if (left <= 0)
            {
                break;
            }

            WaitForChange(TimeSpan.FromSeconds((double)left / _time.TimestampFrequency), cancellationToken);
        }

        return Snapshot();
    }

    public void Dispose()
    {
        IDisposable[] sources;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            sources = [.. _sources];
            _sources.Clear();
        }

        // Stopped outside the lock: a capture thread may be waiting for it to hand over its last frame.
        foreach (var source in sources)
        {
            source.Dispose();
        }

        lock (_gate)
        {
            _disposed = true;
            foreach (var watch in _watches)
            {
                watch.Dispose();
            }
        }

        _received.Dispose();
    }

    private long Sum(Func<SegmentWatch, long> counter)
    {
        lock (_gate)
        {
            return _watches.Sum(counter);
        }
    }
}
