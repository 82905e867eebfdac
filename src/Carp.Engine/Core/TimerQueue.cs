namespace Carp.Engine.Core;

/// <summary>
/// Deadlines of all virtual hosts of a node, earliest first. Re-arming pushes a new entry; an entry
/// whose deadline no longer matches its host's is stale and skipped when it surfaces, so nothing is
/// ever searched or removed (O(log n) per arm, no allocation once the heap has grown).
/// </summary>
internal sealed class TimerQueue
{
    private readonly PriorityQueue<VirtualHost, long> _heap = new();

    public void Schedule(VirtualHost host, long deadline) => _heap.Enqueue(host, deadline);

    /// <summary>The earliest live deadline, or null when no timer is armed.</summary>
    public long? Peek()
    {
        while (_heap.TryPeek(out var host, out var deadline))
        {
            if (host.IsLiveDeadline(deadline))
            {
                return deadline;
            }

            _heap.Dequeue();
        }

        return null;
    }

    /// <summary>Takes the next live host whose deadline is at or before <paramref name="now"/>.</summary>
    public bool TryTakeDue(long now, out VirtualHost host)
    {
        while (_heap.TryPeek(out host!, out var deadline) && deadline <= now)
        {
            _heap.Dequeue();
            if (host.IsLiveDeadline(deadline))
            {
                return true;
            }
        }

        host = null!;
        return false;
    }

    public int Count => _heap.Count;
}
