using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace CarpPS;

/// <summary>A scheduled failover test: a systemd timer and the service it starts (Register-CarpFailoverTest).</summary>
public sealed class CarpFailoverTestSchedule
{
    public string Name { get; set; } = "";

    public string OnCalendar { get; set; } = "";

    public int Duration { get; set; }

    public bool Return { get; set; }

    public string TimerPath { get; set; } = "";

    public string ServicePath { get; set; } = "";

    public override string ToString() => $"{Name} {OnCalendar}";
}

/// <summary>
/// The units of a scheduled failover test: carpps-failover-test-&lt;name&gt;.timer starts the .service of the same name, a
/// oneshot that runs Invoke-CarpFailoverTest against carpd with the pwsh and the module that registered it, prints
/// the result to the journal and exits 1 when the verdict is not Passed. The timer's first lines say what it runs,
/// so Get-CarpFailoverTest -Scheduled reads them back.
/// </summary>
internal static partial class FailoverSchedule
{
    public const string DefaultUnitDirectory = "/etc/systemd/system";

    private const string Prefix = "carpps-failover-test-";

    /// <summary>Names systemd accepts in a unit name unescaped; a carp interface name is one of these.</summary>
    [GeneratedRegex("^[A-Za-z0-9_.-]+$")]
    public static partial Regex UnitSafeName();

    public static string TimerPath(string directory, string name) => Path.Combine(directory, $"{Prefix}{name}.timer");

    public static string ServicePath(string directory, string name) => Path.Combine(directory, $"{Prefix}{name}.service");

    public static string TimerText(CarpFailoverTestSchedule schedule) => $"""
        # CarpPS failover test: Name={schedule.Name} Duration={schedule.Duration} Return={schedule.Return}
        [Unit]
        Description=Scheduled CARP failover test of {schedule.Name} (CarpPS)

        [Timer]
        OnCalendar={schedule.OnCalendar}
        Persistent=true
        Unit={Prefix}{schedule.Name}.service

        [Install]
        WantedBy=timers.target

        """;

    /// <summary>The service: pwsh, the module's manifest, and the command, quoted for systemd ($ and % escaped).</summary>
    public static string ServiceText(CarpFailoverTestSchedule schedule, string pwsh, string manifest, string? historyPath)
    {
        var history = historyPath is null ? "" : $" -HistoryPath '{historyPath.Replace("'", "''", StringComparison.Ordinal)}'";
        var back = schedule.Return ? " -Return" : "";
        var command = string.Concat(
            $"Import-Module '{manifest.Replace("'", "''", StringComparison.Ordinal)}'; Connect-CarpService; " +
            $"$r = @(Invoke-CarpFailoverTest -Name '{schedule.Name}' -Duration {schedule.Duration.ToString(CultureInfo.InvariantCulture)}{back}{history} -Force); ",
            "$r | ForEach-Object { '{0} vhid {1}: {2} handover {3} ms outage {4} ms return {5} ms bound {6} ms new master {7} {8}' -f " +
            "$_.Name, $_.Vhid, $_.Verdict, $_.HandoverMs, $_.OutageMs, $_.ReturnMs, $_.BoundMs, $_.NewMaster, ($_.Reasons -join '; ') }; ",
            "exit [int]($r.Count -eq 0 -or @($r | Where-Object Verdict -ne 'Passed').Count -gt 0)");
        return $"""
            [Unit]
            Description=CARP failover test of {schedule.Name} (CarpPS)
            Documentation={CarpPS.Commands.CarpHelpUri.Base}Invoke-CarpFailoverTest.md
            After=network-online.target carpd.service
            Wants=network-online.target

            [Service]
            Type=oneshot
            ExecStart={Quote(pwsh)} -NoProfile -NonInteractive -Command {Quote(command)}

            """;
    }

    /// <summary>systemd's double quotes: backslash and quote escaped, $ and % doubled so systemd expands nothing.</summary>
    private static string Quote(string text)
    {
        var builder = new StringBuilder("\"");
        foreach (var c in text)
        {
            _ = c switch
            {
                '\\' or '"' => builder.Append('\\').Append(c),
                '$' => builder.Append("$$"),
                '%' => builder.Append("%%"),
                _ => builder.Append(c),
            };
        }

        return builder.Append('"').ToString();
    }

    /// <summary>systemd-analyze calendar: null when the expression is accepted, else what systemd said.</summary>
    public static string? CheckCalendar(string expression)
    {
        var (exit, output) = Analyze("calendar", expression);
        return exit == 0 ? null : output.Trim();
    }

    /// <summary>systemd-analyze verify of unit files: its exit code and output.</summary>
    public static (int ExitCode, string Output) Verify(params string[] units) => Analyze(["verify", .. units]);

    private static (int ExitCode, string Output) Analyze(params string[] arguments)
    {
        var info = new ProcessStartInfo("systemd-analyze") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["SYSTEMD_COLORS"] = "0";
        info.Environment["SYSTEMD_PAGER"] = "";
        using var process = Process.Start(info) ?? throw new InvalidOperationException("systemd-analyze did not start.");
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.Result);
    }

    /// <summary>The schedules in <paramref name="directory"/>, from their timers' first lines.</summary>
    public static IEnumerable<CarpFailoverTestSchedule> Read(string directory)
    {
        if (!Directory.Exists(directory))
        {
            yield break;
        }

        foreach (var timer in Directory.EnumerateFiles(directory, Prefix + "*.timer").Order(StringComparer.Ordinal))
        {
            var lines = File.ReadAllLines(timer);
            var header = Header().Match(lines.FirstOrDefault() ?? "");
            if (!header.Success)
            {
                continue;
            }

            var calendar = lines.FirstOrDefault(l => l.StartsWith("OnCalendar=", StringComparison.Ordinal))?["OnCalendar=".Length..] ?? "";
            var name = header.Groups[1].Value;
            yield return new CarpFailoverTestSchedule
            {
                Name = name,
                OnCalendar = calendar,
                Duration = int.Parse(header.Groups[2].Value, CultureInfo.InvariantCulture),
                Return = bool.Parse(header.Groups[3].Value),
                TimerPath = timer,
                ServicePath = ServicePath(directory, name),
            };
        }
    }

    [GeneratedRegex("^# CarpPS failover test: Name=(\\S+) Duration=(\\d+) Return=(True|False)$")]
    private static partial Regex Header();
}
