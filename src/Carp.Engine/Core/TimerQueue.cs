namespace Carp.Engine.Core;

/// <summary>
/// Deadlines of all virtual hosts of a node, earliest first, with at most one live heap entry per
/// host: re-arming a timer later (what every received advert does) pushes nothing; the entry is moved
/// when it surfaces. So a flood of valid adverts cannot grow the heap, and nothing is ever searched.
/// </summary>
internal sealed class TimerQueue
{
    private readonly PriorityQueue<VirtualHost, long> _heap = new();

    /// <summary>Makes sure <paramref name="host"/> surfaces no later than <paramref name="deadline"/>.</summary>
    public void Schedule(VirtualHost host, long deadline)
    {
        if (host.ScheduledAt is not { } scheduled || deadline < scheduled)
        {
            host.ScheduledAt = deadline;
            _heap.Enqueue(host, deadline);
        }
    }

    /// <summary>The earliest armed timer, or null when none is.</summary>
    public long? Peek()
    {
        while (_heap.TryPeek(out var host, out var at))
        {
            if (Settle(host, at))
            {
                return at;
            }
        }

        return null;
    }

    /// <summary>Takes the next host whose timer is due at <paramref name="now"/>; it must re-arm through <see cref="Schedule"/>.</summary>
    public bool TryTakeDue(long now, out VirtualHost host)
    {
        while (_heap.TryPeek(out host!, out var at) && at <= now)
        {
            if (Settle(host, at))
            {
                _heap.Dequeue();
                host.ScheduledAt = null;
                return true;
            }
        }

        host = null!;
        return false;
    }

    /// <summary>
    /// Takes the next host whose earliest timer is its advert timer, due by <paramref name="horizon"/>: adverts that
    /// join an earlier pass (docs/protocol.md#advert-coalescing). Stops at the first other timer: a master-down timer
    /// never fires early, and the pass at its deadline takes what lies behind it.
    /// </summary>
    public bool TryTakeEarlyAdvert(long horizon, out VirtualHost host)
    {
        while (_heap.TryPeek(out host!, out var at) && at <= horizon)
        {
            if (!Settle(host, at))
            {
                continue;
            }

            if (!host.IsAdvertDeadline(at))
            {
                break;
            }

            _heap.Dequeue();
            host.ScheduledAt = null;
            return true;
        }

        host = null!;
        return false;
    }

    public int Count => _heap.Count;

    /// <summary>True when the top entry is the host's live one and due at <paramref name="at"/>; otherwise drops or moves it.</summary>
    private bool Settle(VirtualHost host, long at)
    {
        if (host.ScheduledAt != at)
        {
            _heap.Dequeue();
            return false;
        }

        var next = host.NextDeadline;
        if (next == at)
        {
            return true;
        }

        _heap.Dequeue();
        host.ScheduledAt = null;
        if (next is { } later)
        {
            Schedule(host, later);
        }

        return false;
    }
}
