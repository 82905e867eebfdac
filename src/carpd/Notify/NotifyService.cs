using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Linux;
using Carpd.Configuration;

namespace Carpd.Notify;

/// <summary>
/// carpd's notify hooks and event FIFO (docs/protocol.md#notify-hooks). It takes the engine's state changes on the
/// engine's event thread, in the order the engine made them, numbers them, writes each to the FIFO at once (never
/// waiting: with no reader or a full pipe the line is dropped and counted) and queues the matching hooks on
/// <see cref="NotifyHookRunner"/>. The settings are read from the running configuration at each event, so a reload
/// applies them to the next one.
/// </summary>
internal sealed class NotifyService : IDisposable
{
    private readonly Func<CarpdConfiguration> _configuration;
    private readonly Action<CarpLogLevel, string> _log;
    private readonly NotifyHookRunner _runner;
    private readonly Dictionary<string, VirtualHostConfig> _seen = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NotifyState> _last = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private IDisposable? _subscription;
    private NotifySettings _settings;
    private NonBlockingFifo? _fifo;
    private FifoWriteResult _lastFifoResult = FifoWriteResult.Written;
    private long _sequence;
    private long _fifoWritten;
    private long _fifoDropped;
    private long _droppedSinceWritten;

    /// <param name="service">The engine (or what wraps it), whose events are the state changes.</param>
    /// <param name="configuration">The running configuration: its <see cref="CarpdConfiguration.Notify"/> and its virtual hosts.</param>
    public NotifyService(ICarpService service, Func<CarpdConfiguration> configuration, Action<CarpLogLevel, string> log, NotifyHookRunner? runner = null)
    {
        _configuration = configuration;
        _log = log;
        _runner = runner ?? new NotifyHookRunner(log);
        _settings = configuration().Notify;
        if (!_settings.IsEmpty)
        {
            _log(CarpLogLevel.Info, $"notify: {_settings}");
        }

        _subscription = service.Subscribe(OnEvent);
    }

    public NotifyHookRunner Runner => _runner;

    /// <summary>State changes numbered so far (the last <c>sequence</c>).</summary>
    public long Sequence => Interlocked.Read(ref _sequence);

    /// <summary>Lines written to the event FIFO.</summary>
    public long FifoWritten => Interlocked.Read(ref _fifoWritten);

    /// <summary>Lines not written to the event FIFO: no reader, a full pipe or an error.</summary>
    public long FifoDropped => Interlocked.Read(ref _fifoDropped);

    /// <summary>Stops taking events, gives queued hooks up to <paramref name="drain"/> to run, then kills what still runs.</summary>
    public void Stop(TimeSpan drain)
    {
        Interlocked.Exchange(ref _subscription, null)?.Dispose();
        _runner.Stop(drain);
        lock (_gate)
        {
            _fifo?.Dispose();
            _fifo = null;
        }
    }

    public void Dispose() => Stop(TimeSpan.Zero);

    private void OnEvent(CarpEvent carpEvent)
    {
        if (carpEvent is not CarpStateChangedEvent change)
        {
            return;
        }

        lock (_gate)
        {
            var configuration = _configuration();
            var settings = configuration.Notify;
            if (!settings.Equals(_settings))
            {
                _settings = settings;
                _log(CarpLogLevel.Info, $"notify: now {settings}");
            }

            var notification = Describe(change, configuration);
            if (settings.Fifo is not null)
            {
                WriteFifo(settings.Fifo, notification);
            }
            else if (_fifo is not null)
            {
                _fifo.Dispose();
                _fifo = null;
            }

            foreach (var hook in settings.Hooks)
            {
                if (hook.Matches(notification.State, notification.Interface, notification.Groups))
                {
                    _runner.Enqueue(new HookRun(hook, notification, settings.Timeout));
                }
            }
        }
    }

    private StateNotification Describe(CarpStateChangedEvent change, CarpdConfiguration configuration)
    {
        if (configuration.Find(change.Interface) is { } found)
        {
            _seen[change.Interface] = found;
        }

        _seen.TryGetValue(change.Interface, out var config);
        var state = NotifyStates.Of(change.NewState, change.Reason);
        var previous = change.OldState switch
        {
            CarpState.Master => NotifyState.Master,
            CarpState.Backup => NotifyState.Backup,
            _ => _last.TryGetValue(change.Interface, out var last) && last == NotifyState.Fault ? NotifyState.Fault : NotifyState.Init,
        };
        _last[change.Interface] = state;
        if (change.Reason == TransitionReason.Removed)
        {
            _seen.Remove(change.Interface);
            _last.Remove(change.Interface);
        }

        return new StateNotification
        {
            Sequence = Interlocked.Increment(ref _sequence),
            Time = change.Timestamp,
            Interface = change.Interface,
            Vhid = change.Vhid,
            State = state,
            Previous = previous,
            Reason = change.Reason.ToString(),
            CarpDev = config?.CarpDev ?? string.Empty,
            Addresses = config is null ? [] : [.. config.Addresses.Select(a => a.ToString())],
            Groups = config?.Groups ?? [],
            IsVrrp = config?.IsVrrp ?? false,
            AdvSkewOrPriority = config is null ? (byte)0 : config.IsVrrp ? config.Priority : config.AdvSkew,
        };
    }

    private void WriteFifo(string path, StateNotification notification)
    {
        if (_fifo is null || _fifo.Path != path)
        {
            _fifo?.Dispose();
            _fifo = new NonBlockingFifo(path);
        }

        var result = _fifo.TryWrite(notification.JsonLine());
        if (result == FifoWriteResult.Written)
        {
            Interlocked.Increment(ref _fifoWritten);
            if (_droppedSinceWritten > 0)
            {
                _log(CarpLogLevel.Info, $"notify: the event FIFO {path} has a reader again; {_droppedSinceWritten} event(s) were dropped meanwhile ({FifoDropped} since carpd started).");
                _droppedSinceWritten = 0;
            }
        }
        else
        {
            Interlocked.Increment(ref _fifoDropped);
            _droppedSinceWritten++;
            if (result != _lastFifoResult)
            {
                var (level, why) = result switch
                {
                    FifoWriteResult.NoReader => (CarpLogLevel.Info, "no process reads it"),
                    FifoWriteResult.Full => (CarpLogLevel.Warning, "its reader is not keeping up (the pipe is full)"),
                    _ => (CarpLogLevel.Error, _fifo.LastError ?? "it cannot be written"),
                };
                _log(level, $"notify: event #{notification.Sequence} not written to the event FIFO {path}: {why}; events are dropped (and counted) until it can be written.");
            }
        }

        _lastFifoResult = result;
    }
}
