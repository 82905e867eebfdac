using System.Diagnostics;
using System.Text;

namespace Carpd.Tests;

/// <summary>
/// A crashing carpd leaves no core that carries a pass: it marks itself non-dumpable before it reads its
/// configuration. The control (a plain process killed the same way in the same directory) proves that
/// this machine would write a core, so the absence of carpd's is carpd's doing. (Without the hardening,
/// carpd's core held the pass four times.)
/// </summary>
public sealed class CoreDumpTests : IDisposable
{
    private const string Pass = "Dump3dPassw0rd";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_crashed_carpd_leaves_no_core_with_its_pass()
    {
        var pattern = File.ReadAllText("/proc/sys/kernel/core_pattern").Trim();
        Assert.False(pattern.StartsWith('|') || pattern.Contains('/', StringComparison.Ordinal),
            $"kernel.core_pattern is '{pattern}': this test needs cores written to the working directory");

        var control = Directory.CreateDirectory(_dir.File("control")).FullName;
        // Ready once bash has set the limit and become sleep: a kill before that would find no core to write.
        Abort(control, "exec sleep 30", ready: p => ReadComm(p) == "sleep");
        Assert.True(CoreFiles(control).Length > 0, "a killed process left no core: the control failed, so the check below would prove nothing");

        var crashed = Directory.CreateDirectory(_dir.File("carpd")).FullName;
        var config = _dir.Write("carpd.conf", $"carp1 vhid 1 carpdev sim0 pass {Pass} 192.0.2.100/24\n");
        var socket = _dir.File("carpd.sock");
        Abort(crashed, $"exec '{CarpdDaemonTests.FindCarpd()}' --simulate --config '{config}' --socket '{socket}'", ready: _ => File.Exists(socket));

        foreach (var core in CoreFiles(crashed))
        {
            Assert.DoesNotContain(Pass, Encoding.Latin1.GetString(File.ReadAllBytes(core)), StringComparison.Ordinal);
        }

        Assert.Empty(CoreFiles(crashed));
    }

    /// <summary>
    /// Runs <paramref name="command"/> with unlimited cores in <paramref name="directory"/>, then kills it with SIGXCPU once it
    /// is ready: a signal whose default action dumps core and that .NET leaves alone (it handles SIGABRT, SIGSEGV and SIGQUIT).
    /// </summary>
    private static void Abort(string directory, string command, Func<Process, bool> ready)
    {
        var info = new ProcessStartInfo("/bin/bash") { WorkingDirectory = directory, UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("ulimit -c unlimited; " + command);
        using var process = Process.Start(info)!;
        try
        {
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();
            var clock = Stopwatch.StartNew();
            while (!ready(process) && !process.HasExited && clock.Elapsed < TimeSpan.FromSeconds(20))
            {
                Thread.Sleep(10);
            }

            Assert.False(process.HasExited, "the process ended before it could be killed");
            using (var kill = Process.Start("kill", ["-XCPU", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                kill.WaitForExit();
            }

            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(20)), "the killed process did not end");
        }
        finally
        {
            // Whatever failed above, nothing this test started outlives it.
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit();
            }
        }
    }

    private static string[] CoreFiles(string directory) => Directory.GetFiles(directory, "core*");

    private static string? ReadComm(Process process)
    {
        try
        {
            return File.ReadAllText($"/proc/{process.Id}/comm").Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }
}
