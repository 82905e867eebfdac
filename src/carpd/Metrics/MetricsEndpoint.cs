using System.Net.Sockets;
using Carp.Engine.Hosting;
using Carpd.Configuration;

namespace Carpd.Metrics;

/// <summary>
/// carpd's metrics listener as the configuration asks for it (<c>metrics listen …</c>): <see cref="Apply"/> at start and
/// after every reload starts, stops or moves it. The collector (and prometheus-net) is created the first time metrics
/// are turned on, so a carpd without a <c>metrics</c> line loads none of it. An address that cannot be bound is logged
/// and carpd runs on without metrics: CARP matters more than its metrics.
/// </summary>
internal sealed class MetricsEndpoint(Func<CarpdMetrics> createMetrics, Action<CarpLogLevel, string> log) : IDisposable
{
    private readonly Lock _gate = new();
    private CarpdMetrics? _metrics;
    private MetricsHttpServer? _server;
    private MetricsSettings? _settings;
    private bool _disposed;

    /// <summary>Where it listens now; null when it does not.</summary>
    public MetricsSettings? Listening
    {
        get
        {
            lock (_gate)
            {
                return _server is null ? null : _settings;
            }
        }
    }

    /// <summary>Follows <paramref name="settings"/> (null: off). Nothing happens when they did not change and the listener runs.</summary>
    public void Apply(MetricsSettings? settings)
    {
        lock (_gate)
        {
            if (_disposed || (settings == _settings && (settings is null || _server is not null)))
            {
                return;
            }

            var previous = _server;
            _server = null;
            _settings = settings;
            previous?.Dispose();
            if (settings is null)
            {
                if (previous is not null)
                {
                    log(CarpLogLevel.Info, "metrics: stopped serving (no metrics line in the configuration)");
                }

                return;
            }

            _metrics ??= createMetrics();
            var metrics = _metrics;
            try
            {
                _server = MetricsHttpServer.Start(settings.Listen, metrics.WriteAsync, log);
                log(CarpLogLevel.Info, $"metrics: serving http://{settings}/metrics");
            }
            catch (SocketException ex)
            {
                log(CarpLogLevel.Error, $"metrics: cannot listen on {settings}: {ex.Message}. carpd runs on without metrics; fix the metrics line and reload.");
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _server?.Dispose();
            _server = null;
            _metrics?.Dispose();
            _metrics = null;
        }
    }
}
