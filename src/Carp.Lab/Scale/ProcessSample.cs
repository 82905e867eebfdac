using System.Globalization;
using System.Text.RegularExpressions;
using Carp.Testbed;

namespace Carp.Lab.Scale;

/// <summary>What one process cost over a window: CPU (utime+stime), its RSS at the end, and its engine thread's wake-ups.</summary>
internal sealed record ProcessCost(double CpuPercentOfOneCore, long RssKilobytes, long? EngineWakeups, TimeSpan Window);

/// <summary>Reads a process's cost from /proc, and counts its system calls with <c>strace -c -f</c>.</summary>
internal static partial class ProcessSample
{
    /// <summary>USER_HZ: the unit of utime and stime in /proc/PID/stat (100 on every Linux architecture .NET runs on).</summary>
    private const double ClockTicksPerSecond = 100;

    /// <summary>The engine loop's thread name as /proc shows it (<c>comm</c>, 15 characters at most).</summary>
    private const string EngineThread = "carp-engine";

    /// <summary>Samples <paramref name="pid"/> at the start and the end of <paramref name="window"/>.</summary>
    public static ProcessCost Measure(int pid, TimeSpan window)
    {
        var cpu0 = CpuTicks(pid);
        var wake0 = EngineSwitches(pid);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Thread.Sleep(window);
        var cpu1 = CpuTicks(pid);
        var wake1 = EngineSwitches(pid);
        var elapsed = clock.Elapsed;
        return new ProcessCost(
            (cpu1 - cpu0) / ClockTicksPerSecond / elapsed.TotalSeconds * 100,
            RssKilobytes(pid),
            wake0 is { } a && wake1 is { } b ? b - a : null,
            elapsed);
    }

    /// <summary>
    /// <c>strace -c -f -p PID</c> for <paramref name="window"/>: the system calls of every thread (strace slows the process
    /// down, so CPU is measured in a window of its own). Returns the total and the five most frequent calls.
    /// </summary>
    public static (long Total, string Top) CountSyscalls(int pid, TimeSpan window)
    {
        var result = Command.Run("timeout", ["-s", "INT", window.TotalSeconds.ToString(CultureInfo.InvariantCulture), "strace", "-c", "-f", "-p", pid.ToString(CultureInfo.InvariantCulture)],
            window + TimeSpan.FromSeconds(20));
        long total = 0;
        var rows = new List<(long Calls, string Name)>();
        foreach (var line in result.StandardError.Split('\n'))
        {
            if (SummaryRow().Match(line) is { Success: true } m)
            {
                var calls = long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                if (m.Groups[2].Value == "total")
                {
                    total = calls;
                }
                else
                {
                    rows.Add((calls, m.Groups[2].Value));
                }
            }
        }

        if (total == 0 && rows.Count == 0)
        {
            throw new InvalidOperationException($"strace -c gave no summary: {result.StandardError.Trim()}");
        }

        return (total, string.Join(", ", rows.OrderByDescending(r => r.Calls).Take(5).Select(r => $"{r.Name} {r.Calls}")));
    }

    private static long CpuTicks(int pid)
    {
        // Fields after "(comm)": state is field 3; utime and stime are fields 14 and 15.
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    private static long RssKilobytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    /// <summary>Context switches (voluntary and not) of the engine thread: each turn of its loop after a sleep is one.</summary>
    private static long? EngineSwitches(int pid)
    {
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).Trim() != EngineThread)
                {
                    continue;
                }

                long switches = 0;
                foreach (var line in File.ReadLines(Path.Combine(task, "status")))
                {
                    if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal) || line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                    {
                        switches += long.Parse(line[(line.IndexOf(':') + 1)..].Trim(), CultureInfo.InvariantCulture);
                    }
                }

                return switches;
            }
            catch (IOException)
            {
                // the thread ended while we looked
            }
        }

        return null;
    }

    [GeneratedRegex(@"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\S+)\s*$")]
    private static partial Regex SummaryRow();
}
