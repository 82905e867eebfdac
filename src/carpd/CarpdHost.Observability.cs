using Carp.Control;
using Carp.Engine.Hosting;
using Carpd.Metrics;

namespace Carpd;

internal sealed partial class CarpdHost
{
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;

    /// <summary>The transition tally and the metrics listener (off until the configuration's <c>metrics</c> line turns it on).</summary>
    private Observability StartObservability(ICarpService engine, ICarpService service)
    {
        var tally = new TransitionTally(engine);
        var trackers = engine as ICarpTrackers;
        var metrics = new MetricsEndpoint(() => new CarpdMetrics(service, tally, trackers is null ? null : () => TrackerMetrics(trackers), _startedAt), log.Daemon);
        return new Observability(tally, metrics, state => state with
        {
            Daemon = new CarpdDaemonStateDto
            {
                Pid = Environment.ProcessId,
                StartedAt = _startedAt,
                ConfigPath = options.ConfigPath is null ? null : Path.GetFullPath(options.ConfigPath),
                Socket = options.SocketPath,
                Simulated = options.Simulate,
                MetricsListen = metrics.Listening?.ToString(),
            },
            TransitionsByReason = state.Interfaces.ToDictionary(
                i => i.Name,
                i => tally.Of(i.Name, (byte)i.Vhid).ToDictionary(r => r.Key.ToString(), r => r.Value, StringComparer.Ordinal),
                StringComparer.Ordinal),
        });
    }

    /// <summary>The trackers with a verdict, for <c>carp_tracker_up</c> (docs/metrics.md#trackers): one not yet risen or fallen has no series.</summary>
    private static List<TrackerMetric> TrackerMetrics(ICarpTrackers trackers) =>
    [
        .. trackers.GetTrackers()
            .Where(t => t.State != TrackerState.Unknown)
            .Select(t => new TrackerMetric(t.Name, t.State == TrackerState.Up, t.Config.Scope.Kind == Carp.Engine.Core.TrackerScopeKind.Interface ? t.Config.Scope.Name : null)),
    ];

    private sealed record Observability(TransitionTally Tally, MetricsEndpoint Metrics, Func<CarpdStateDto, CarpdStateDto> CompleteState) : IDisposable
    {
        public void Dispose()
        {
            Metrics.Dispose();
            Tally.Dispose();
        }
    }
}
