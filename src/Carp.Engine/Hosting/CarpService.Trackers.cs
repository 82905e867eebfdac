using Carp.Engine.Core;

namespace Carp.Engine.Hosting;

/// <summary>
/// Health trackers (docs/protocol.md#trackers): each runs its probes on its own timer off the engine thread
/// (<see cref="TrackerRunner"/>); a change of verdict is posted to the loop, where the node applies it. Adding, listing
/// and removing take the trackers' own lock and touch the loop only for a moment.
/// </summary>
public sealed partial class CarpService : ICarpTrackers
{
    private readonly Dictionary<string, TrackerRunner> _trackers = new(StringComparer.Ordinal);
    private readonly Lock _trackerGate = new();

    public IReadOnlyList<TrackerStatus> GetTrackers()
    {
        TrackerStatus[] statuses;
        lock (_trackerGate)
        {
            statuses = [.. _trackers.Values.Select(r => r.Status).OrderBy(s => s.Name, StringComparer.Ordinal)];
        }

        return _loop.Invoke(() => (IReadOnlyList<TrackerStatus>)[.. statuses.Select(s => s with { Interfaces = CoveredBy(s.Config.Scope) })]);
    }

    public TrackerStatus AddTracker(TrackerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        TrackerRunner runner;
        lock (_trackerGate)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            if (_trackers.ContainsKey(config.Name))
            {
                throw new CarpException(CarpErrorCode.TrackerExists, $"a tracker named {config.Name} exists already.");
            }

            runner = new TrackerRunner(config, _trackerProbe, _node.Time, OnTrackerChanged);
            _trackers.Add(config.Name, runner);
        }

        runner.Start();
        Log(CarpLogLevel.Info, 1, $"tracker {config}: started");
        return runner.Status with { Interfaces = _loop.Invoke(() => CoveredBy(config.Scope)) };
    }

    public void RemoveTracker(string name)
    {
        TrackerRunner? runner;
        lock (_trackerGate)
        {
            if (!_trackers.Remove(name, out runner))
            {
                throw new CarpException(CarpErrorCode.TrackerNotFound, $"There is no tracker named '{name}'.");
            }
        }

        // Off the loop: a command in flight is killed first. A verdict it posted meanwhile finds the runner gone.
        runner.Dispose();
        _loop.Invoke(() => _node.RemoveTracker(name));
        Log(CarpLogLevel.Info, 1, $"tracker {name}: removed");
    }

    private IReadOnlyList<string> CoveredBy(TrackerScope scope) =>
        [.. _node.VirtualHosts.Where(h => scope.AppliesTo(h.Config)).Select(h => h.Name).Order(StringComparer.Ordinal)];

    /// <summary>On the runner's thread: log the verdict and hand it to the loop, which applies it if the tracker still exists.</summary>
    private void OnTrackerChanged(TrackerRunner runner, TrackerState state, TrackerEffect effect, TrackerProbeResult result)
    {
        var config = runner.Config;
        var what = state != TrackerState.Down ? "no effect"
            : effect.Fault ? $"fault: {config.Scope} held in INIT"
            : $"{config.Scope} demoted by {effect.Demotion}";
        _loop.Post(() =>
        {
            lock (_trackerGate)
            {
                if (!_trackers.TryGetValue(config.Name, out var current) || !ReferenceEquals(current, runner))
                {
                    return;
                }
            }

            Log(state == TrackerState.Down ? CarpLogLevel.Warning : CarpLogLevel.Info, 1,
                $"tracker {config.Name}: {state.ToString().ToLowerInvariant()} ({result.Detail}): {what}");
            _node.SetTrackerState(config.Name, config.Scope, effect);
        });
    }

    /// <summary>Stops every tracker (before the engine stops); what they did goes with the virtual hosts.</summary>
    private void StopTrackers()
    {
        TrackerRunner[] runners;
        lock (_trackerGate)
        {
            runners = [.. _trackers.Values];
            _trackers.Clear();
        }

        foreach (var runner in runners)
        {
            runner.Dispose();
        }
    }
}
