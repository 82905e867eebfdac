using System.Diagnostics;
using Carp.Engine.Core;

namespace Carp.Linux;

/// <summary>
/// When the address guardian may take the addresses away from a stalled engine, and whether it has. The engine beats
/// with its adverts (after a timer pass that sent some, at most every 100 ms: one pipe write, never one per advert), so
/// the guardian's clock and a peer's master-down timer start from the same moment, the last advert; each host holding
/// addresses brings its stall timeout (<see cref="TimeoutFor"/>) and the shortest counts. Used on the engine's loop
/// thread, except <see cref="Revoked"/> (the guardian's reader thread) and <see cref="Hold"/> for new masters while a
/// mass takeover's addresses are added on their own thread (<see cref="AddressWorker"/>; the engine touches the watch
/// only after it has waited for that). docs/ARCHITECTURE.md#address-guardian.
/// </summary>
internal sealed class StallWatch
{
    private static readonly long BeatEvery = Stopwatch.Frequency / 10;

    /// <summary>Below the timeout by this much a gap already counts as a revocation: the guardian's clock started at the same beat.</summary>
    private static readonly long Margin = Stopwatch.Frequency / 20;

    /// <summary>
    /// The shortest advert interval a VRRP master counts with: beats go out at most every 100 ms, so a stall timeout below
    /// 400 ms (twice this) could take a healthy master's addresses.
    /// </summary>
    private static readonly TimeSpan MinimumVrrpInterval = TimeSpan.FromMilliseconds(200);

    private readonly Dictionary<string, TimeSpan> _holding = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private TimeSpan _timeout;
    private TimeSpan _shortest;
    private long _lastBeat;
    private bool _revoked;

    /// <summary>
    /// The stall timeout of a master of <paramref name="config"/>: halfway between the longest gap its adverts may leave
    /// and the shortest master-down a peer with the same timing counts from the last of them, so that neither a healthy
    /// master loses its addresses nor a stalled one keeps them once a peer took over. CARP: adverts at most advbase +
    /// 240/256 s apart (demotion raises advskew up to 240; a configured advskew above that stays), a peer's master-down at
    /// least 3 × advbase (advskew 0); VRRP: adverts every interval (at least 200 ms here), master-down at least 3 intervals.
    /// </summary>
    public static TimeSpan TimeoutFor(VirtualHostConfig config)
    {
        if (config.IsVrrp)
        {
            return 2 * TimeSpan.FromMilliseconds(Math.Max(config.Interval * 10, MinimumVrrpInterval.TotalMilliseconds));
        }

        var longestGap = config.AdvBase + (Math.Max(config.AdvSkew, (byte)240) / 256.0);
        return TimeSpan.FromSeconds((longestGap + (3 * config.AdvBase)) / 2);
    }

    /// <summary>
    /// Numbers each stall timeout given to the guardian; its report names the one that fired, so a report that crosses
    /// a revocation the loop already saw (or a newer timeout) is not taken for a second one.
    /// </summary>
    public int Generation { get; private set; }

    /// <summary>
    /// <paramref name="name"/> now holds its addresses (with its <see cref="TimeoutFor"/>) or not (null). Returns the new
    /// stall timeout when it changed (zero: no stall watch), null when it did not.
    /// </summary>
    public TimeSpan? Hold(string name, TimeSpan? timeoutOfHost, long now)
    {
        // A new holder can only lower the shortest timeout; anything else (a change, a release) looks at every holder.
        var replaced = _holding.TryGetValue(name, out var before);
        if (timeoutOfHost is { } value)
        {
            _holding[name] = value;
            _shortest = replaced || _holding.Count == 1 ? Shortest() : TimeSpan.FromTicks(Math.Min(_shortest.Ticks, value.Ticks));
        }
        else if (_holding.Remove(name))
        {
            _shortest = before == _shortest ? Shortest() : _shortest;
        }

        var timeout = _shortest;
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

    /// <summary>The shortest timeout held (zero when nobody holds addresses), looked up in full: see <see cref="Hold"/>.</summary>
    private TimeSpan Shortest()
    {
        var shortest = TimeSpan.Zero;
        foreach (var timeout in _holding.Values)
        {
            if (shortest == TimeSpan.Zero || timeout < shortest)
            {
                shortest = timeout;
            }
        }

        return shortest;
    }

    /// <summary>
    /// One turn of the loop: whether the guardian has (or may have) taken the addresses since the last turn. After a
    /// revocation nobody holds addresses any more and the stall watch is off until one does.
    /// </summary>
    public bool Turn(long now)
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
            }

            return revoked;
        }
    }

    /// <summary>The engine has just sent adverts: whether to beat now (someone holds addresses, and 100 ms passed since the last beat).</summary>
    public bool Advertised(long now)
    {
        lock (_gate)
        {
            var beat = _timeout > TimeSpan.Zero && !_revoked && now - _lastBeat >= BeatEvery;
            if (beat)
            {
                _lastBeat = now;
            }

            return beat;
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
