using Carp.Engine.Core;

namespace Carp.Engine.Hosting;

/// <summary>
/// Runs one tracker's probe every interval on the thread pool, never on the engine thread (docs/protocol.md#trackers):
/// counts consecutive successes and failures (keepalived's rise and fall) and reports each change of what the tracker
/// does (<see cref="TrackerEffect"/>) through the callback, which posts it to the engine loop.
/// </summary>
internal sealed class TrackerRunner : IDisposable
{
    private readonly ITrackerProbe _probe;
    private readonly TimeProvider _time;
    private readonly Action<TrackerRunner, TrackerState, TrackerEffect, TrackerProbeResult> _changed;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private TrackerStatus _status;
    private int _successes;
    private int _failures;
    private TrackerEffect _effect;
    private Task _loop = Task.CompletedTask;

    public TrackerRunner(TrackerConfig config, ITrackerProbe probe, TimeProvider time,
        Action<TrackerRunner, TrackerState, TrackerEffect, TrackerProbeResult> changed)
    {
        Config = config;
        _probe = probe;
        _time = time;
        _changed = changed;
        _status = new TrackerStatus { Config = config };
    }

    public TrackerConfig Config { get; }

    public TrackerStatus Status
    {
        get
        {
            lock (_gate)
            {
                return _status;
            }
        }
    }

    public void Start() => _loop = Task.Run(RunAsync);

    private async Task RunAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            var started = _time.GetTimestamp();
            TrackerProbeResult result;
            try
            {
                result = await _probe.ProbeAsync(Config, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                result = TrackerProbeResult.Failed($"probe failed: {ex.Message}");
            }

            Count(result);
            var wait = Config.Interval - _time.GetElapsedTime(started);
            try
            {
                await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, _time, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One probe's outcome: the counters, the verdict, and a report when what the tracker does has changed.</summary>
    internal void Count(TrackerProbeResult result)
    {
        TrackerState state;
        TrackerEffect effect;
        bool report;
        lock (_gate)
        {
            _successes = result.Success ? _successes + 1 : 0;
            _failures = result.Success ? 0 : _failures + 1;
            state = _status.State;
            if (result.Success && state != TrackerState.Up && _successes >= Config.Rise)
            {
                state = TrackerState.Up;
            }
            else if (!result.Success && state != TrackerState.Down && _failures >= Config.Fall)
            {
                state = TrackerState.Down;
            }

            // While Down a file's number may move: the demotion follows the last failed probe.
            effect = state != TrackerState.Down ? TrackerEffect.None
                : Config.Fault ? new TrackerEffect(0, Fault: true)
                : !result.Success ? new TrackerEffect((int)Math.Min((long)Config.Weight * result.Multiplier, int.MaxValue), false)
                : _effect;
            report = state != _status.State || effect != _effect;
            _effect = effect;
            _status = _status with
            {
                State = state,
                LastResult = result.Detail,
                LastRun = _time.GetUtcNow(),
                Consecutive = result.Success ? _successes : _failures,
                Demotion = effect.Demotion,
            };
        }

        if (report && !_stop.IsCancellationRequested)
        {
            _changed(this, state, effect, result);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // Ended with the cancellation.
        }

        _stop.Dispose();
    }
}
