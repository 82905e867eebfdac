using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Carp.Testbed;

/// <summary>
/// Watches a namespace's address and link changes as the kernel reports them (<c>ip -ts monitor</c>), so a
/// test learns exactly when an address went away instead of polling for it. Times are the kernel event's
/// wall-clock timestamps, comparable with <see cref="DateTime.Now"/> taken just before the cause.
/// </summary>
public sealed partial class AddressWatch : IDisposable
{
    private readonly Process _monitor;
    private readonly List<(DateTime At, string Line)> _events = [];
    private readonly object _gate = new(); // Monitor.Wait/PulseAll need a monitor, not a Lock

    private AddressWatch(Process monitor)
    {
        _monitor = monitor;
        monitor.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && TimestampPattern().Match(line) is { Success: true } m)
            {
                var at = DateTime.ParseExact(m.Groups[1].Value, "yyyy-MM-ddTHH:mm:ss.ffffff", CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal);
                lock (_gate)
                {
                    _events.Add((at, line));
                    Monitor.PulseAll(_gate);
                }
            }
        };
        monitor.BeginOutputReadLine();
        monitor.BeginErrorReadLine();
    }

    /// <summary>
    /// Starts watching <paramref name="ns"/>; returns once the monitor runs (it reports a test address it adds and removes).
    /// <paramref name="realtime"/> runs the monitor at the lowest real-time priority (<c>chrt -f 1</c>, as the engine's
    /// thread runs): <c>ip</c> stamps each change when it reads it, and at normal priority it read a mass switch's
    /// changes tens of milliseconds late while the engine and the lab kept the CPUs busy.
    /// </summary>
    public static AddressWatch Start(TestNetwork net, string ns, bool realtime = false)
    {
        var watch = new AddressWatch(realtime
            ? net.Start(ns, "chrt", "-f", "1", "ip", "-ts", "monitor", "address", "link")
            : net.Start(ns, "ip", "-ts", "monitor", "address", "link"));
        // The monitor is subscribed once it reports a change of our own: toggle lo's 203.0.113.254/32.
        var probe = "203.0.113.254";
        var clock = Stopwatch.StartNew();
        while (watch.FindAfter(DateTime.MinValue, probe) is null)
        {
            Assert(clock.Elapsed < TimeSpan.FromSeconds(10), "ip monitor did not start");
            net.Exec(ns, "ip", "addr", "add", $"{probe}/32", "dev", "lo");
            net.Exec(ns, "ip", "addr", "del", $"{probe}/32", "dev", "lo");
            watch.WaitForAny(TimeSpan.FromMilliseconds(100));
        }

        return watch;
    }

    /// <summary>When the kernel reported <paramref name="address"/> deleted, at or after <paramref name="since"/>; null if not within <paramref name="timeout"/>.</summary>
    public DateTime? WaitDeleted(string address, DateTime since, TimeSpan timeout) => Wait(address, deleted: true, since, timeout);

    /// <summary>When the kernel reported <paramref name="address"/> added, at or after <paramref name="since"/>; null if not within <paramref name="timeout"/>.</summary>
    public DateTime? WaitAdded(string address, DateTime since, TimeSpan timeout) => Wait(address, deleted: false, since, timeout);

    private DateTime? Wait(string address, bool deleted, DateTime since, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        lock (_gate)
        {
            while (true)
            {
                var found = _events.FirstOrDefault(e => e.At >= since && e.Line.Contains("Deleted", StringComparison.Ordinal) == deleted &&
                                                        e.Line.Contains($" {address}/", StringComparison.Ordinal));
                if (found.Line is not null)
                {
                    return found.At;
                }

                var left = timeout - clock.Elapsed;
                if (left <= TimeSpan.Zero)
                {
                    return null;
                }

                Monitor.Wait(_gate, left);
            }
        }
    }

    private DateTime? FindAfter(DateTime since, string text)
    {
        lock (_gate)
        {
            return _events.Where(e => e.At >= since && e.Line.Contains(text, StringComparison.Ordinal)).Select(e => (DateTime?)e.At).FirstOrDefault();
        }
    }

    private void WaitForAny(TimeSpan timeout)
    {
        lock (_gate)
        {
            Monitor.Wait(_gate, timeout);
        }
    }

    private static void Assert(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }

    public void Dispose()
    {
        try
        {
            _monitor.Kill();
        }
        catch (InvalidOperationException)
        {
        }

        _monitor.Dispose();
    }

    [GeneratedRegex(@"^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6})\]")]
    private static partial Regex TimestampPattern();
}
