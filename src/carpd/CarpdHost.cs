using System.Reflection;
using System.Runtime.InteropServices;
using Carp.Control;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Linux;
using Carpd.Configuration;
using Carpd.Control;
using Carpd.Notify;

namespace Carpd;

/// <summary>
/// The daemon's life: load the configuration, start the engine and its interfaces, serve the control
/// socket, tell systemd READY=1, reload the configuration file on SIGHUP (<see cref="ConfigurationReloader"/>),
/// wait for SIGTERM/SIGINT, then STOPPING=1 and dispose everything
/// (the engine releases its addresses and masters send their bow-out). Exit code 0 after a clean
/// stop, 1 when carpd cannot start.
/// </summary>
internal sealed partial class CarpdHost(CarpdOptions options, JournalLog log, SystemdNotifier notifier)
{
    private static readonly TimeSpan NotifyStopDrain = TimeSpan.FromSeconds(10);
    private readonly TaskCompletionSource<string> _stop = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile ConfigurationReloader? _reloader;

    public static string Version => CarpdProtocol.ProductVersion;

    public int Run()
    {
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnHangup);

        log.Info($"carpd {Version} starting{(options.Simulate ? " on a simulated LAN" : string.Empty)}");
        var configuration = CarpdConfiguration.Empty;
        if (options.ConfigPath is not null)
        {
            try
            {
                configuration = CarpdConfiguration.Load(options.ConfigPath);
            }
            catch (CarpdConfigurationException ex)
            {
                log.Error(ex.Message);
                return Fail("configuration error");
            }

            foreach (var warning in configuration.Warnings)
            {
                log.Warning(warning);
            }

            log.Info($"loaded {Path.GetFullPath(options.ConfigPath)}: {configuration}");
        }
        else
        {
            log.Info("no --config: starting without interfaces; run-time changes are not saved");
        }

        ICarpService engine;
        try
        {
            engine = CreateEngine(configuration);
        }
        catch (CarpException ex)
        {
            log.Error(CarpdAdvice.Describe(ex));
            return Fail("engine could not start");
        }

        var persisting = options.ConfigPath is null ? null : new PersistingCarpService(engine, configuration, options.ConfigPath, log.Daemon);
        var service = persisting ?? engine;
        var observability = StartObservability(engine, service); // before the interfaces: their first transitions are counted
        var reloader = persisting is null ? null : new ConfigurationReloader(persisting, log, notifier, file => observability.Metrics.Apply(file.Metrics));
        // Hooks and the event FIFO see every state change from here on, the first starts included (docs/protocol.md#notify-hooks).
        var notify = persisting is null ? null : new NotifyService(persisting, () => persisting.Configuration, log.Daemon);
        try
        {
            var started = StartInterfaces(engine, configuration);
            observability.Metrics.Apply(configuration.Metrics);
            TrackerReload.Start(engine, configuration.Trackers, (tracker, ex) => log.Error($"tracker {tracker.Name} not started: {CarpdAdvice.Describe(ex)}"));
            CarpControlServer server;
            try
            {
                server = CarpControlServer.Start(service, options.SocketPath, new CarpControlServerOptions
                {
                    Log = log.Daemon,
                    Reload = reloader is null ? null : () => reloader.Reload("reload requested on the control socket"),
                    CompleteState = observability.CompleteState,
                    WatchNetwork = (request, token) => SegmentWatchHost.Watch(request,
                        options.Simulate ? [.. configuration.Interfaces.Select(i => i.CarpDev).Concat(options.SimulatedCarpDevs)] : null, token),
                });
            }
            catch (CarpException ex)
            {
                log.Error(CarpdAdvice.Describe(ex));
                return Fail("control socket unavailable");
            }

            using (server)
            {
                var status = $"{started} of {configuration.Interfaces.Count} interface(s) running; control socket {server.SocketPath}";
                _reloader = reloader;
                StartupMemory.Release();
                notifier.Notify($"READY=1\nSTATUS={status}\nMAINPID={Environment.ProcessId}");
                log.Info($"ready: {status}");

                var signal = _stop.Task.GetAwaiter().GetResult();
                _reloader = null;
                reloader?.Stop();
                notifier.Notify($"STOPPING=1\nSTATUS=stopping ({signal})");
                log.Info($"{signal} received: stopping");
            }
        }
        finally
        {
            observability.Dispose(); // the metrics listener first: no scrape meets a stopped engine
            try
            {
                service.Dispose();
            }
            catch (Exception ex)
            {
                log.Error($"stopping the engine failed: {ex.Message}");
            }

            // The hooks of the last changes (interfaces removed as carpd stops) get a moment to run.
            notify?.Stop(NotifyStopDrain);
        }

        log.Info("carpd stopped");
        return 0;
    }

    private ICarpService CreateEngine(CarpdConfiguration configuration)
    {
        var watchdog = SystemdWatchdog.FromEnvironment(notifier);
        var engineOptions = new CarpServiceOptions
        {
            Sysctls = configuration.Sysctls,
            Log = log.Engine,
            LoopTurn = watchdog is null ? null : watchdog.Tick,
            LoopTurnInterval = watchdog is null || watchdog.Every > TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : watchdog.Every,
        };
        if (!options.Simulate)
        {
            return LinuxCarpServices.CreateLocal(engineOptions);
        }

        string[] carpDevs = [.. configuration.Interfaces.Select(i => i.CarpDev).Concat(options.SimulatedCarpDevs).Distinct(StringComparer.Ordinal)];
        return CarpServices.CreateInMemory(engineOptions, carpDevs);
    }

    /// <summary>
    /// Creates every configured interface, together (docs/protocol.md#started-together). One that fails (e.g. its carpdev
    /// is missing) is logged and skipped so the others still protect their addresses; it stays in the file.
    /// </summary>
    private int StartInterfaces(ICarpService engine, CarpdConfiguration configuration)
    {
        var started = 0;
        foreach (var (config, status, error) in engine.CreateInterfaces(configuration.Interfaces))
        {
            if (error is not null || status is null)
            {
                log.Error($"{config.Name} not started: {(error is null ? "no status" : CarpdAdvice.Describe(error))}");
                continue;
            }

            started++;
            var timing = config.IsVrrp ? $"VRRPv3 priority {config.Priority} interval {config.Interval * 10} ms" : $"advbase {config.AdvBase} advskew {config.AdvSkew}";
            log.Info($"{config.Name}: vhid {config.Vhid} on {config.CarpDev}, {timing}, " +
                $"{(config.Addresses.Count == 0 ? "no address" : string.Join(' ', config.Addresses))}: {status.State}");
        }

        return started;
    }

    /// <summary>SIGHUP (<c>systemctl reload carpd</c>): reload the configuration file on a pool thread; the outcome goes to the log.</summary>
    private void OnHangup(PosixSignalContext context)
    {
        context.Cancel = true;
        var reloader = _reloader;
        if (reloader is null)
        {
            log.Warning(options.ConfigPath is null
                ? "SIGHUP ignored: carpd runs without --config, so there is no configuration file to reload."
                : "SIGHUP ignored: carpd is starting or stopping.");
            return;
        }

        ThreadPool.QueueUserWorkItem(_ =>
        {
            try
            {
                reloader.Reload("SIGHUP");
            }
            catch (CarpException)
            {
                // Logged by the reloader; carpd runs on with what was applied.
            }
            catch (Exception ex)
            {
                log.Error($"reload failed: {ex.GetType().Name}: {ex.Message}");
            }
        });
    }

    private void OnSignal(PosixSignalContext context)
    {
        // Cancel the default termination: we stop in order (bow-out, addresses released) and exit 0.
        context.Cancel = true;
        _stop.TrySetResult(context.Signal.ToString());
    }

    private int Fail(string reason)
    {
        notifier.Notify($"STATUS=failed: {reason}");
        return 1;
    }
}
