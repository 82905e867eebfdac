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
        // TRACKERS: pass the health trackers' states as the third argument once carpd has trackers (docs/metrics.md#trackers).
        var metrics = new MetricsEndpoint(() => new CarpdMetrics(service, tally, trackers: null, _startedAt), log.Daemon);
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

    private sealed record Observability(TransitionTally Tally, MetricsEndpoint Metrics, Func<CarpdStateDto, CarpdStateDto> CompleteState) : IDisposable
    {
        public void Dispose()
        {
            Metrics.Dispose();
            Tally.Dispose();
        }
    }
}
