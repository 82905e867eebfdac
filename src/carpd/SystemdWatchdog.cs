using System.Diagnostics;
using System.Globalization;

namespace Carpd;

/// <summary>
/// systemd's service watchdog (<c>WatchdogSec=</c>): carpd sends <c>WATCHDOG=1</c> from the engine's loop thread,
/// so a wedged engine — not merely a live process — makes systemd restart carpd. Sends every third of the interval
/// systemd gives in WATCHDOG_USEC; does nothing when systemd asked for no watchdog (or for another process's).
/// </summary>
internal sealed class SystemdWatchdog
{
    private readonly SystemdNotifier _notifier;
    private readonly long _every;

    /// <summary>How often the engine's loop must turn for this watchdog: a third of systemd's interval.</summary>
    public TimeSpan Every => TimeSpan.FromSeconds((double)_every / Stopwatch.Frequency);
    private long _last;

    private SystemdWatchdog(SystemdNotifier notifier, long every)
    {
        _notifier = notifier;
        _every = every;
    }

    /// <summary>The watchdog systemd asked for, or null (WATCHDOG_USEC unset, or WATCHDOG_PID names another process).</summary>
    public static SystemdWatchdog? FromEnvironment(SystemdNotifier notifier)
    {
        if (!long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out var usec) || usec <= 0)
        {
            return null;
        }

        if (Environment.GetEnvironmentVariable("WATCHDOG_PID") is { Length: > 0 } pid && pid != Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
        {
            return null;
        }

        return new SystemdWatchdog(notifier, usec * Stopwatch.Frequency / 1_000_000 / 3);
    }

    /// <summary>On the engine's loop thread, every turn (at least once a second).</summary>
    public void Tick()
    {
        var now = Stopwatch.GetTimestamp();
        if (now - _last >= _every)
        {
            _last = now;
            _notifier.Notify("WATCHDOG=1");
        }
    }
}
