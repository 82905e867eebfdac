using System.Diagnostics;

namespace Carp.Linux;

/// <summary>
/// When the address guardian may take the addresses away from a stalled engine, and whether it has: the
/// stall timeout is twice the shortest advert interval of the virtual hosts holding addresses. A master
/// beats at least once per advert interval, so a healthy one never comes near it, and a peer's master-down
/// timer (three intervals after our last advert) fires only after the guardian acted. Beats go out at most
/// every 100 ms: one pipe write, never one per advert. Used on the engine's loop thread, except
/// <see cref="Revoked"/> (the guardian's reader thread).
/// </summary>
internal sealed class StallWatch
{
    private static readonly long BeatEvery = Stopwatch.Frequency / 10;

    /// <summary>Below the timeout by this much a gap already counts as a revocation: the guardian's clock started at the same beat.</summary>
    private static readonly long Margin = Stopwatch.Frequency / 20;

    private readonly Dictionary<string, TimeSpan> _holding = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private TimeSpan _timeout;
    private TimeSpan _shortest;
    private long _lastBeat;
    private bool _revoked;

    /// <summary>
    /// Numbers each stall timeout given to the guardian; its report names the one that fired, so a report that crosses
    /// a revocation the loop already saw (or a newer timeout) is not taken for a second one.
    /// </summary>
    public int Generation { get; private set; }

    /// <summary>
    /// <paramref name="name"/> now holds its addresses (with its advert interval) or not (null). Returns the new stall
    /// timeout when it changed (zero: no stall watch), null when it did not.
    /// </summary>
    public TimeSpan? Hold(string name, TimeSpan? interval, long now)
    {
        // A new holder can only lower the shortest interval; anything else (a change, a release) looks at every holder.
        var replaced = _holding.TryGetValue(name, out var before);
        if (interval is { } value)
        {
            _holding[name] = value;
            _shortest = replaced || _holding.Count == 1 ? Shortest() : TimeSpan.FromTicks(Math.Min(_shortest.Ticks, value.Ticks));
        }
        else if (_holding.Remove(name))
        {
            _shortest = before == _shortest ? Shortest() : _shortest;
        }

        var timeout = 2 * _shortest;
        if (timeout == _timeout)
        {
            return null;
        }

        lock (_gate)
        {
            if (_timeout == TimeSpan.Zero)
            {
                _lastBeat = now; // the guardian's clock starts with the line that sets it
            }

            _timeout = timeout;
            Generation++;
        }

        return timeout;
    }

    /// <summary>Makes room for <paramref name="hosts"/> masters now (as interfaces are prepared), not in a mass takeover's pass.</summary>
    public void Reserve(int hosts) => _holding.EnsureCapacity(hosts);

    /// <summary>The shortest interval held (zero when nobody holds addresses), looked up in full: see <see cref="Hold"/>.</summary>
    private TimeSpan Shortest()
    {
        var shortest = TimeSpan.Zero;
        foreach (var interval in _holding.Values)
        {
            if (shortest == TimeSpan.Zero || interval < shortest)
            {
                shortest = interval;
            }
        }

        return shortest;
    }

    /// <summary>
    /// One turn of the loop: whether to beat now, and whether the guardian has (or may have) taken the addresses since
    /// the last turn. After a revocation nobody holds addresses any more and the stall watch is off until one does.
    /// </summary>
    public (bool Beat, bool Revoked) Turn(long now)
    {
        lock (_gate)
        {
            var revoked = _revoked ||
                          (_timeout > TimeSpan.Zero && now - _lastBeat > (long)(_timeout.TotalSeconds * Stopwatch.Frequency) - Margin);
            if (revoked)
            {
                _revoked = false;
                _holding.Clear();
                _shortest = TimeSpan.Zero;
                _timeout = TimeSpan.Zero;
                Generation++;
                return (false, true);
            }

            var beat = _timeout > TimeSpan.Zero && now - _lastBeat >= BeatEvery;
            if (beat)
            {
                _lastBeat = now;
            }

            return (beat, false);
        }
    }

    /// <summary>The guardian reported that the stall timeout of <paramref name="generation"/> fired and it took the addresses away.</summary>
    public void Revoked(int generation)
    {
        lock (_gate)
        {
            if (generation == Generation && _timeout > TimeSpan.Zero)
            {
                _revoked = true;
            }
        }
    }
}
