
namespace Carp.Network.Tests.Scenarios;

/// <summary>
/// An append-only record of observations (engine events, captured adverts, log lines of external
/// tools) that a test can await: <see cref="Wait"/> returns the first matching observation at or
/// after a point in time, or fails the test when none comes before the deadline.
/// </summary>
internal sealed class Recorder<T>(string name)
{
    private readonly Lock _gate = new();
    private readonly List<Stamped<T>> _items = [];
    private readonly List<(Func<T, bool> Match, long Since, TaskCompletionSource<Stamped<T>> Done)> _waiters = [];

    public string Name { get; } = name;

    public void Add(T item)
    {
        var stamped = new Stamped<T>(Clock.Now, item);
        List<TaskCompletionSource<Stamped<T>>> done = [];
        lock (_gate)
        {
            _items.Add(stamped);
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                var w = _waiters[i];
                if (stamped.At >= w.Since && w.Match(item))
                {
                    done.Add(w.Done);
                    _waiters.RemoveAt(i);
                }
            }
        }

        foreach (var tcs in done)
        {
            tcs.TrySetResult(stamped);
        }
    }

    public IReadOnlyList<Stamped<T>> Snapshot()
    {
        lock (_gate)
        {
            return [.. _items];
        }
    }

    public IReadOnlyList<Stamped<T>> All(Func<T, bool> match, long since = 0) =>
        [.. Snapshot().Where(s => s.At >= since && match(s.Item))];

    public Stamped<T>? Last(Func<T, bool> match, long since = 0, long before = long.MaxValue) =>
        Snapshot().LastOrDefault(s => s.At >= since && s.At <= before && match(s.Item)) is { At: > 0 } last ? last : null;

    /// <summary>Completes with the first observation at or after <paramref name="since"/> that matches (possibly one already recorded).</summary>
    public Task<Stamped<T>> When(Func<T, bool> match, long since = 0)
    {
        var tcs = new TaskCompletionSource<Stamped<T>>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            foreach (var s in _items)
            {
                if (s.At >= since && match(s.Item))
                {
                    tcs.SetResult(s);
                    return tcs.Task;
                }
            }

            _waiters.Add((match, since, tcs));
        }

        return tcs.Task;
    }

    /// <summary>The first observation at or after <paramref name="since"/> that matches, awaited up to <paramref name="timeout"/>.</summary>
    public Stamped<T> Wait(Func<T, bool> match, TimeSpan timeout, string what, long since = 0)
    {
        var task = When(match, since);
        if (!task.Wait(timeout, TestContext.Current.CancellationToken))
        {
            lock (_gate)
            {
                _waiters.RemoveAll(w => w.Done.Task == task);
            }

            Assert.Fail($"{Name}: {what} did not happen within {timeout.TotalSeconds:0.###} s. Observed: {Describe()}");
        }

        return task.Result;
    }

    public string Describe()
    {
        var items = Snapshot();
        return items.Count == 0 ? "(nothing)" : string.Join("; ", items.TakeLast(30).Select(s => s.Item?.ToString()));
    }
}
