namespace Carp.Engine.Hosting;

/// <summary>What a <see cref="LogRateLimiter{TKind}"/> held back: <see cref="Count"/> lines of one kind from
/// <see cref="Sources"/> distinct sources (0 when none were named) during <see cref="Period"/>.</summary>
public readonly record struct LogSuppression<TKind>(TKind Kind, int Count, int Sources, TimeSpan Period);

/// <summary>
/// Lets at most one log line per kind through per interval and counts the rest, like the BSD kernels'
/// <c>ratecheck</c>: the first line of a kind opens an interval and is logged; lines of that kind within
/// the interval are held back; when the interval ends with lines held back, <c>summary</c> receives how
/// many (and from how many distinct sources). Time comes from the <see cref="TimeProvider"/>; it logs
/// nothing itself. Thread-safe. <see cref="Dispose"/> hands out what is still held back.
/// </summary>
public sealed class LogRateLimiter<TKind> : IDisposable
    where TKind : notnull
{
    // Enough to tell "one client" from "many"; a flood from more sources reports this many.
    private const int MaxTrackedSources = 4096;

    private readonly TimeProvider _time;
    private readonly Action<LogSuppression<TKind>> _summary;
    private readonly Dictionary<TKind, Window> _windows = [];
    private readonly Lock _gate = new();
    private bool _disposed;

    public LogRateLimiter(TimeSpan interval, TimeProvider time, Action<LogSuppression<TKind>> summary)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(summary);
        Interval = interval;
        _time = time;
        _summary = summary;
    }

    public TimeSpan Interval { get; }

    /// <summary>
    /// True when a line of <paramref name="kind"/> may be logged now; false when it is held back and
    /// counted (with <paramref name="source"/>, if given, among the distinct sources).
    /// </summary>
    public bool ShouldLog(TKind kind, string? source = null)
    {
        LogSuppression<TKind>? ended = null;
        bool log;
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            if (!_windows.TryGetValue(kind, out var window))
            {
                _windows[kind] = new Window(kind, now);
                log = true;
            }
            else if (_time.GetElapsedTime(window.OpenedAt, now) >= Interval)
            {
                // The timer may not have run yet: the old interval's summary comes before this line.
                ended = window.Take(Interval, _time.GetElapsedTime(window.OpenedAt, now));
                window.OpenedAt = now;
                log = true;
            }
            else
            {
                window.Hold(source);
                if (!_disposed)
                {
                    window.Timer ??= _time.CreateTimer(OnIntervalEnd, window, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                    window.Timer.Change(Interval - _time.GetElapsedTime(window.OpenedAt, now), Timeout.InfiniteTimeSpan);
                }

                log = false;
            }
        }

        Report(ended);
        return log;
    }

    public void Dispose()
    {
        List<LogSuppression<TKind>> pending = [];
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            var now = _time.GetTimestamp();
            foreach (var window in _windows.Values)
            {
                window.Timer?.Dispose();
                window.Timer = null;
                if (window.Take(Interval, _time.GetElapsedTime(window.OpenedAt, now)) is { } held)
                {
                    pending.Add(held);
                }
            }
        }

        foreach (var held in pending)
        {
            Report(held);
        }
    }

    private void OnIntervalEnd(object? state)
    {
        var window = (Window)state!;
        LogSuppression<TKind>? ended;
        lock (_gate)
        {
            var elapsed = _time.GetElapsedTime(window.OpenedAt, _time.GetTimestamp());
            if (_disposed || elapsed < Interval)
            {
                // Disposed, or a new interval opened since this timer was set: the next Hold re-arms it.
                return;
            }

            ended = window.Take(Interval, elapsed);
        }

        Report(ended);
    }

    private void Report(LogSuppression<TKind>? held)
    {
        if (held is { } summary)
        {
            try
            {
                _summary(summary);
            }
            catch (Exception)
            {
                // A failing log sink must not break the caller (or a timer thread).
            }
        }
    }

    private sealed class Window(TKind kind, long openedAt)
    {
        private HashSet<string>? _sources;
        private int _held;

        public long OpenedAt { get; set; } = openedAt;

        public ITimer? Timer { get; set; }

        public void Hold(string? source)
        {
            _held++;
            if (source is not null && (_sources ??= new(StringComparer.Ordinal)).Count < MaxTrackedSources)
            {
                _sources.Add(source);
            }
        }

        public LogSuppression<TKind>? Take(TimeSpan interval, TimeSpan elapsed)
        {
            if (_held == 0)
            {
                return null;
            }

            var held = new LogSuppression<TKind>(kind, _held, _sources?.Count ?? 0, elapsed < interval ? elapsed : interval);
            _held = 0;
            _sources?.Clear();
            return held;
        }
    }
}
