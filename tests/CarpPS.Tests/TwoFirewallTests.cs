using System.Collections.Concurrent;
using System.Diagnostics;
using Carp.Testbed;

namespace CarpPS.Tests;

/// <summary>
/// The seed's two firewalls, driven only through the cmdlets: each firewall is its own process
/// hosting PowerShell inside its own network namespace, on a real LAN and WAN (veth + bridges).
/// The master dies (process SIGKILL, cables pulled); the backup's Register-CarpEvent action fires
/// and Get-CarpStatus shows MASTER. Once with the engine in the PowerShell process, once in carpd.
/// </summary>
public abstract class TwoFirewallTests(ModuleFixture module)
{
    protected abstract bool UseCarpd { get; }

    [Fact]
    public void The_backup_takes_over_when_the_master_dies()
    {
        RequireTestbed();
        using var net = TestNetwork.Create(nodeCount: 0);
        var br = net.AddNamespace("br");
        net.AddBridge(br, "br0");
        net.AddBridge(br, "br1");
        var fw = new[] { net.AddNamespace("fw1"), net.AddNamespace("fw2") };
        for (var i = 0; i < 2; i++)
        {
            net.Plug(fw[i], "eth0", br, "br0", $"l{i + 1}", $"192.0.2.{i + 1}/24");
            net.Plug(fw[i], "eth1", br, "br1", $"w{i + 1}", $"198.51.100.{i + 1}/24");
        }

        var work = Directory.CreateTempSubdirectory("carpps-e2e-");
        try
        {
            var shells = new Shell[2];
            var daemons = new Process?[2];
            for (var i = 0; i < 2; i++)
            {
                if (UseCarpd)
                {
                    daemons[i] = CarpdLauncher.Start(net, fw[i], Path.Combine(work.FullName, $"fw{i + 1}.sock"));
                }

                shells[i] = new Shell(net.Start(fw[i], ScriptHostPath(), module.ManifestPath));
                if (UseCarpd)
                {
                    shells[i].Run($"Connect-CarpService -Path '{Path.Combine(work.FullName, $"fw{i + 1}.sock")}'");
                }

                // The seed: both firewalls the same, the second with advskew 128; preempt on.
                var skew = i == 0 ? "" : " -AdvSkew 128";
                shells[i].Run("Set-CarpSysctl -Preempt $true");
                shells[i].Run($"New-CarpInterface -Name carp1 -Vhid 1 -CarpDev eth0 -Pass lanpasswd -Address 192.0.2.100/24{skew}");
                shells[i].Run($"New-CarpInterface -Name carp2 -Vhid 2 -CarpDev eth1 -Pass wanpasswd -Address 198.51.100.100/24{skew}");
            }

            shells[1].Run("$null = Register-CarpEvent -Name carp1 -EventType StateChanged -Action { [Console]::WriteLine('EVENT ' + $Event.SourceEventArgs.Interface + ' ' + $Event.SourceEventArgs.NewState) }");
            Assert.Equal("Master", shells[0].Run("(Wait-CarpState -Name carp1 -State Master -Timeout 15).State").Single());
            Assert.Equal("Backup", shells[1].Run("(Get-CarpStatus -Name carp1).State").Single());

            // fw1 dies: whatever runs its engine is killed, and it drops off both segments.
            (daemons[0] ?? shells[0].Process).Kill();
            net.Ip("-n", br, "link", "set", "l1", "down");
            net.Ip("-n", br, "link", "set", "w1", "down");

            Assert.True(shells[1].WaitForLine("EVENT carp1 Master", TimeSpan.FromSeconds(10)), "fw2's Register-CarpEvent action did not report MASTER");
            Assert.Equal("Master", shells[1].Run("(Get-CarpStatus -Name carp1).State").Single());
            Assert.Equal("Master", shells[1].Run("(Wait-CarpState -Name carp2 -State Master -Timeout 10).State").Single());
            Assert.Contains("192.0.2.100/24", net.Exec(fw[1], "ip", "-o", "addr", "show", "dev", "carp1").StandardOutput, StringComparison.Ordinal);
            Assert.DoesNotContain("lanpasswd", string.Join('\n', shells[1].AllOutput), StringComparison.Ordinal);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static void RequireTestbed()
    {
        if (TestbedPrerequisites.MissingReason is { } missing)
        {
            var message = $"The two-firewall test needs {missing}.";
            if (Environment.GetEnvironmentVariable("CI") == "true")
            {
                Assert.Fail(message + " (CI=true: a missing prerequisite fails the run.)");
            }

            Assert.Skip(message);
        }
    }

    private static string ScriptHostPath() => SiblingBuildOutput("CarpPS.ScriptHost");

    /// <summary>…/bin/CarpPS.Tests/&lt;config&gt;/ → …/bin/&lt;project&gt;/&lt;config&gt;/&lt;project&gt;</summary>
    private static string SiblingBuildOutput(string project)
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        var path = Path.Combine(here.Parent!.Parent!.FullName, project, here.Name, project);
        return File.Exists(path) ? path : throw new InvalidOperationException($"{project} is not built at {path}.");
    }

    /// <summary>A PowerShell process driven line by line (tests/CarpPS.ScriptHost).</summary>
    private sealed class Shell
    {
        private readonly BlockingCollection<string> _lines = [];
        private readonly ConcurrentQueue<string> _all = new();

        public Shell(Process process)
        {
            Process = process;
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is { } line)
                {
                    _all.Enqueue(line);
                    _lines.Add(line);
                }
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            Assert.True(WaitForLine("##READY##", TimeSpan.FromSeconds(30)), "the PowerShell host did not start");
        }

        public Process Process { get; }

        public IEnumerable<string> AllOutput => _all;

        /// <summary>Runs one line of PowerShell; returns its output lines, failing on any error record.</summary>
        public List<string> Run(string script)
        {
            Process.StandardInput.WriteLine(script);
            var output = new List<string>();
            while (_lines.TryTake(out var line, TimeSpan.FromSeconds(30)))
            {
                if (line == "##END##")
                {
                    return output;
                }

                Assert.False(line.StartsWith("##ERROR##", StringComparison.Ordinal), $"{script}\n{line}");
                if (!line.StartsWith("EVENT ", StringComparison.Ordinal))
                {
                    output.Add(line);
                }
            }

            throw new TimeoutException($"no answer to: {script}");
        }

        public bool WaitForLine(string wanted, TimeSpan timeout)
        {
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < timeout)
            {
                if (_all.Contains(wanted))
                {
                    return true;
                }

                _lines.TryTake(out _, TimeSpan.FromMilliseconds(100));
            }

            return _all.Contains(wanted);
        }
    }
}

public sealed class TwoFirewallsInProcessTests(ModuleFixture module) : TwoFirewallTests(module)
{
    protected override bool UseCarpd => false;
}

public sealed class TwoFirewallsViaCarpdTests(ModuleFixture module) : TwoFirewallTests(module)
{
    protected override bool UseCarpd => true;
}
