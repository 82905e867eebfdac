using Carp.Engine.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Carp.Engine.Tests.Hosting;

/// <summary>LogRateLimiter: one line per kind per interval, then a summary of what was held back.</summary>
public sealed class LogRateLimiterTests : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private readonly FakeTimeProvider _time = new();
    private readonly List<LogSuppression<string>> _summaries = [];
    private readonly LogRateLimiter<string> _limiter;

    public LogRateLimiterTests() => _limiter = new LogRateLimiter<string>(Interval, _time, _summaries.Add);

    public void Dispose() => _limiter.Dispose();

    [Fact]
    public void The_first_line_of_a_kind_passes_and_the_rest_of_the_interval_is_summarized_once_it_ends()
    {
        Assert.True(_limiter.ShouldLog("malformed", "client 1"));
        var held = Enumerable.Range(0, 99).Count(i => !_limiter.ShouldLog("malformed", $"client {i % 7}"));

        Assert.Equal(99, held);
        _time.Advance(Interval - TimeSpan.FromMilliseconds(1));
        Assert.Empty(_summaries);

        _time.Advance(TimeSpan.FromMilliseconds(1));

        var summary = Assert.Single(_summaries);
        Assert.Equal(new LogSuppression<string>("malformed", 99, 7, Interval), summary);
    }

    [Fact]
    public void Each_kind_has_its_own_interval()
    {
        Assert.True(_limiter.ShouldLog("malformed"));
        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.True(_limiter.ShouldLog("refused"));
        Assert.False(_limiter.ShouldLog("malformed"));
        Assert.False(_limiter.ShouldLog("refused"));

        _time.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal([new LogSuppression<string>("malformed", 1, 0, Interval)], _summaries);
        Assert.True(_limiter.ShouldLog("malformed"));
        Assert.False(_limiter.ShouldLog("refused"));

        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(new LogSuppression<string>("refused", 2, 0, Interval), _summaries[^1]);
        Assert.Equal(2, _summaries.Count);
    }

    [Fact]
    public void An_interval_without_held_lines_ends_silently_and_the_next_line_passes()
    {
        Assert.True(_limiter.ShouldLog("malformed"));
        _time.Advance(Interval * 3);

        Assert.Empty(_summaries);
        Assert.True(_limiter.ShouldLog("malformed"));
        Assert.False(_limiter.ShouldLog("malformed"));
    }

    [Fact]
    public void A_steady_flood_logs_one_line_and_one_summary_per_interval()
    {
        var logged = 0;
        for (var tick = 0; tick < 300; tick++)
        {
            // 300 lines, one every 100 ms: 30 s, three intervals.
            logged += _limiter.ShouldLog("bad") ? 1 : 0;
            _time.Advance(TimeSpan.FromMilliseconds(100));
        }

        Assert.Equal(3, logged);
        Assert.Equal(3, _summaries.Count);
        Assert.Equal(300 - 3, _summaries.Sum(s => s.Count));
    }

    [Fact]
    public void Dispose_hands_out_what_is_held_back_with_the_time_it_covers()
    {
        Assert.True(_limiter.ShouldLog("malformed", "a"));
        Assert.False(_limiter.ShouldLog("malformed", "b"));
        Assert.False(_limiter.ShouldLog("malformed", "b"));
        _time.Advance(TimeSpan.FromSeconds(3));

        _limiter.Dispose();
        _time.Advance(Interval);

        Assert.Equal([new LogSuppression<string>("malformed", 2, 1, TimeSpan.FromSeconds(3))], _summaries);
    }

    [Fact]
    public void A_throwing_sink_breaks_neither_the_caller_nor_the_timer()
    {
        var calls = 0;
        using var limiter = new LogRateLimiter<string>(Interval, _time, _ =>
        {
            calls++;
            throw new InvalidOperationException("sink down");
        });
        limiter.ShouldLog("x");
        limiter.ShouldLog("x");

        _time.Advance(Interval);

        Assert.Equal(1, calls);
        Assert.True(limiter.ShouldLog("x"));
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LogRateLimiter<string>(TimeSpan.Zero, _time, _ => { }));
        Assert.Throws<ArgumentNullException>(() => new LogRateLimiter<string>(Interval, null!, _ => { }));
        Assert.Throws<ArgumentNullException>(() => new LogRateLimiter<string>(Interval, _time, null!));
    }
}
