using System.Collections.Concurrent;

namespace Carp.Engine.Hosting;

/// <summary>
/// Delivers <see cref="CarpEvent"/>s to subscribers on its own thread, so a slow subscriber never
/// delays the protocol thread. A throwing subscriber is logged and kept.
/// </summary>
internal sealed class EventDispatcher : IDisposable
{
    private readonly BlockingCollection<CarpEvent> _queue = new(new ConcurrentQueue<CarpEvent>());
    private readonly Lock _gate = new();
    private readonly Thread _thread;
    private readonly Action<CarpLogLevel, string>? _log;
    private Action<CarpEvent>[] _subscribers = [];

    public EventDispatcher(Action<CarpLogLevel, string>? log)
    {
        _log = log;
        _thread = new Thread(Run) { IsBackground = true, Name = "carp-events" };
        _thread.Start();
    }

    public void Publish(CarpEvent e)
    {
        if (_subscribers.Length > 0)
        {
            _queue.TryAdd(e);
        }
    }

    public IDisposable Subscribe(Action<CarpEvent> handler)
    {
        lock (_gate)
        {
            _subscribers = [.. _subscribers, handler];
        }

        return new Subscription(this, handler);
    }

    private void Unsubscribe(Action<CarpEvent> handler)
    {
        lock (_gate)
        {
            _subscribers = _subscribers.Where(h => !ReferenceEquals(h, handler)).ToArray();
        }
    }

    private void Run()
    {
        foreach (var e in _queue.GetConsumingEnumerable())
        {
            foreach (var subscriber in _subscribers)
            {
                try
                {
                    subscriber(e);
                }
                catch (Exception ex)
                {
                    _log?.Invoke(CarpLogLevel.Warning, $"an event subscriber failed: {ex.GetType().Name}: {ex.Message}");
                }
            }
        }
    }

    /// <summary>
    /// Stops taking events; those queued are still delivered. Safe from inside a subscriber (no self-join),
    /// and the queue is left to the collector because a slow subscriber may still be reading it.
    /// </summary>
    public void Dispose()
    {
        _queue.CompleteAdding();
        if (Thread.CurrentThread != _thread)
        {
            _thread.Join(TimeSpan.FromSeconds(5));
        }
    }

    private sealed class Subscription(EventDispatcher owner, Action<CarpEvent> handler) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Unsubscribe(handler);
            }
        }
    }
}
