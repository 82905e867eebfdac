using System.Diagnostics;
using Carp.Control;
using Carp.Engine.Core;
using Carpd.Configuration;

namespace Carpd;

/// <summary>
/// <c>systemctl reload carpd</c> (SIGHUP) and the control method <c>reload</c>: re-reads the configuration
/// file and applies only what changed (<see cref="PersistingCarpService.Reload"/>), between systemd's
/// <c>RELOADING=1</c> and <c>READY=1</c>. A file that does not load changes nothing and the error names
/// file and line. One reload at a time; none once carpd is stopping.
/// </summary>
internal sealed class ConfigurationReloader(PersistingCarpService service, JournalLog log, SystemdNotifier notifier, Action<CarpdConfiguration>? loaded = null)
{
    private readonly Lock _gate = new();
    private bool _stopped;

    /// <summary>Reloads; throws a <see cref="CarpException"/> (already logged) when the file does not load or the engine refused a step.</summary>
    public ConfigurationReloadResult Reload(string trigger)
    {
        lock (_gate)
        {
            if (_stopped)
            {
                throw new CarpException(CarpErrorCode.ServiceError, "carpd is stopping: the configuration was not reloaded.");
            }

            var path = service.ConfigurationPath;
            notifier.Notify($"RELOADING=1\nMONOTONIC_USEC={MonotonicMicroseconds()}\nSTATUS=reloading {path}");
            log.Info($"{trigger}: reloading {path}");
            var status = "reload failed";
            try
            {
                var file = Load(path, out var hash);
                var outcome = service.Reload(file, hash);
                loaded?.Invoke(file); // carpd's own settings (the metrics listener) follow the file even when the engine refused a step
                if (outcome.Failures.Count > 0)
                {
                    var failures = string.Join("; ", outcome.Failures);
                    log.Error($"reload of {path} partly failed: {failures}. Applied: {outcome.Result}.");
                    throw new CarpException(outcome.Failures[0].Error.Code,
                        $"The reload of {path} partly failed: {failures}. Every other change is applied: {outcome.Result}.", outcome.Failures[0].Error);
                }

                status = $"reloaded: {outcome.Result}";
                log.Info($"reloaded {path}: {outcome.Result}");
                return outcome.Result;
            }
            finally
            {
                notifier.Notify($"READY=1\nSTATUS={status}");
            }
        }
    }

    /// <summary>Refuses further reloads and waits for one in progress: called before the engine is disposed.</summary>
    public void Stop()
    {
        lock (_gate)
        {
            _stopped = true;
        }
    }

    private CarpdConfiguration Load(string path, out byte[] hash)
    {
        CarpdConfiguration file;
        try
        {
            file = CarpdConfiguration.Load(path, out hash);
        }
        catch (CarpdConfigurationException ex)
        {
            log.Error($"reload refused, nothing changed: {ex.Message}");
            throw new CarpException(ex.Code, $"The configuration was not reloaded and nothing changed: {ex.Message}", ex);
        }

        foreach (var warning in file.Warnings)
        {
            log.Warning(warning);
        }

        return file;
    }

    /// <summary>CLOCK_MONOTONIC in microseconds, which systemd wants with RELOADING=1 (sd_notify(3)); .NET's Stopwatch reads that clock on Linux.</summary>
    private static long MonotonicMicroseconds() => (long)(Stopwatch.GetTimestamp() * (1_000_000.0 / Stopwatch.Frequency));
}
