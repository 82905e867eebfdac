using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace Carpd.Configuration;

/// <summary>
/// The trackers of a configuration applied to the engine (docs/protocol.md#trackers): at start every <c>track</c> line;
/// on reload only what changed — a removed or changed tracker stops (undoing its effect), a new or changed one starts;
/// an unchanged one keeps running with its counters.
/// </summary>
internal static class TrackerReload
{
    /// <summary>Starts every tracker; one that is refused is logged through <paramref name="failed"/> and skipped.</summary>
    public static int Start(ICarpService engine, IReadOnlyList<TrackerConfig> trackers, Action<TrackerConfig, CarpException> failed)
    {
        if (engine is not ICarpTrackers host)
        {
            return 0;
        }

        var started = 0;
        foreach (var tracker in trackers)
        {
            try
            {
                TrackerCommandCheck.Check(tracker);
                host.AddTracker(tracker);
                started++;
            }
            catch (CarpException ex)
            {
                failed(tracker, ex);
            }
        }

        return started;
    }

    /// <summary>
    /// Makes the engine's trackers those of <paramref name="wanted"/>, from <paramref name="running"/>; returns the
    /// trackers that run afterwards and records each refused step in <paramref name="failures"/>.
    /// </summary>
    public static IReadOnlyList<TrackerConfig> Apply(ICarpService engine, IReadOnlyList<TrackerConfig> running, IReadOnlyList<TrackerConfig> wanted,
        List<ReloadFailure> failures)
    {
        if (engine is not ICarpTrackers host)
        {
            return running;
        }

        var result = running.ToList();
        foreach (var old in running.Where(r => !wanted.Contains(r)))
        {
            try
            {
                host.RemoveTracker(old.Name);
            }
            catch (CarpException ex) when (ex.Code == CarpErrorCode.TrackerNotFound)
            {
                // It was refused at start: nothing runs.
            }

            result.Remove(old);
        }

        foreach (var tracker in wanted.Where(w => !running.Contains(w)))
        {
            try
            {
                TrackerCommandCheck.Check(tracker);
                host.AddTracker(tracker);
                result.Add(tracker);
            }
            catch (CarpException ex)
            {
                failures.Add(new ReloadFailure($"tracker {tracker.Name} not started", ex));
            }
        }

        // In the file's order.
        return [.. result.OrderBy(t => wanted.ToList().FindIndex(w => w.Name == t.Name) is var i and >= 0 ? i : int.MaxValue)];
    }
}
