using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Carpd.Tests;

/// <summary>
/// packaging/carpd.service as systemd reads it: <c>systemd-analyze verify</c> finds nothing wrong (with the
/// ExecStart paths pointed at the built carpd), <c>systemd-analyze security</c> rates it at most 3.0, and
/// it keeps only the capabilities carpd needs and no core dumps.
/// </summary>
public sealed partial class SystemdUnitTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void The_unit_passes_systemd_analyze_verify()
    {
        var unit = InstalledUnit();

        var result = Run("verify", unit);

        Assert.True(result.ExitCode == 0 && result.Output.Trim().Length == 0, $"systemd-analyze verify: exit {result.ExitCode}\n{result.Output}");
    }

    [Fact]
    public void The_unit_is_hardened()
    {
        var unit = InstalledUnit();

        var result = Run("security", "--offline=true", unit);

        var match = ExposurePattern().Match(result.Output);
        Assert.True(match.Success, result.Output);
        var exposure = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(exposure <= 3.0, $"systemd-analyze security rates carpd.service {exposure} (at most 3.0 wanted)");
        TestContext.Current.TestOutputHelper?.WriteLine($"MEASURED: systemd-analyze security --offline=true carpd.service: {exposure}");
    }

    [Fact]
    public void The_unit_keeps_only_the_capabilities_carpd_needs_and_no_core_dumps()
    {
        var lines = File.ReadAllLines(UnitPath()).Where(l => !l.StartsWith('#')).ToArray();

        var capabilities = Assert.Single(lines, l => l.StartsWith("CapabilityBoundingSet=", StringComparison.Ordinal));
        Assert.Equal(["CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_SYS_NICE"], capabilities.Split('=', 2)[1].Split(' ', StringSplitOptions.RemoveEmptyEntries).Order());
        Assert.Contains("LimitCORE=0", lines);
        Assert.Contains("Restart=on-failure", lines);
        Assert.Contains(lines, l => l.StartsWith("WatchdogSec=", StringComparison.Ordinal));
    }

    /// <summary>The unit with /usr/local/bin/carpd replaced by the carpd of this build (verify checks that it exists).</summary>
    private string InstalledUnit()
    {
        var carpd = Path.Combine(AppContext.BaseDirectory, "carpd");
        Assert.True(File.Exists(carpd), $"carpd is not built at {carpd}");
        var path = _dir.File("carpd.service");
        File.WriteAllText(path, File.ReadAllText(UnitPath()).Replace("/usr/local/bin/carpd", carpd, StringComparison.Ordinal));
        return path;
    }

    private static string UnitPath() => Path.Combine(
        typeof(SystemdUnitTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!,
        "packaging", "carpd.service");

    private static (int ExitCode, string Output) Run(params string[] arguments)
    {
        var info = new ProcessStartInfo("systemd-analyze") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["SYSTEMD_COLORS"] = "0";
        using var process = Process.Start(info) ?? throw new InvalidOperationException("systemd-analyze did not start (install systemd)");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    [GeneratedRegex(@"Overall exposure level for \S+: (\d+\.\d+)")]
    private static partial Regex ExposurePattern();
}
