using System.Collections.Concurrent;
using System.Diagnostics;
using Carp.Control;
using Carp.Engine.Core;
using Carp.Testbed;

namespace CarpPS.Tests;

/// <summary>
/// A real pwsh (the one eng/install-deps.sh installs) runs the in-process engine as MASTER of
/// 192.0.2.100 in a namespace; carpd on a second host is BACKUP. A signal ends the pwsh process:
/// SIGTERM, SIGHUP (an SSH disconnect) and SIGINT (a script run with -File) bow out first, so the
/// backup takes over at once instead of after master-down; SIGKILL cannot, but the address guardian
/// removes the VIP and the virtual MAC from the dead host within 100 ms. Never two hosts with the VIP.
/// </summary>
public sealed class PwshSignalTests(ModuleFixture module)
{
    private const string Vip = "192.0.2.100";

    [Theory]
    [InlineData("TERM", true)]
    [InlineData("HUP", true)]
    [InlineData("INT", true)]
    [InlineData("KILL", false)]
    public async Task A_signal_to_pwsh_leaves_no_address_behind(string signal, bool bowsOut)
    {
        var pwsh = PwshAssembly(module.RepositoryRoot);
        RequireTestbed();
        using var net = TestNetwork.Create(nodeCount: 0);
        var br = net.AddNamespace("br");
        net.AddBridge(br, "br0");
        var fw1 = net.AddNamespace("fw1");
        var fw2 = net.AddNamespace("fw2");
        net.Plug(fw1, "eth0", br, "br0", "p1", "192.0.2.1/24");
        net.Plug(fw2, "eth0", br, "br0", "p2", "192.0.2.2/24");
        var client = net.AddNamespace("client");
        net.Plug(client, "eth0", br, "br0", "p3", "192.0.2.3/24");
        var work = Directory.CreateTempSubdirectory("carpps-signal-");
        try
        {
            var config = SecretFile.Write(Path.Combine(work.FullName, "fw2.conf"),
                $"net.inet.carp.preempt=1\ncarp1 vhid 1 carpdev eth0 pass sigpass advskew 100 {Vip}/24\n");
            var socket = Path.Combine(work.FullName, "fw2.sock");
            CarpdLauncher.Start(net, fw2, socket, config);
            using var backup = new CarpdClient(socket);

            var script = Path.Combine(work.FullName, "fw1.ps1");
            File.WriteAllText(script, $$"""
                $ErrorActionPreference = 'Stop'
                Import-Module '{{module.ManifestPath}}'
                Set-CarpSysctl -Preempt $true -Confirm:$false
                New-CarpInterface -Name carp1 -Vhid 1 -CarpDev eth0 -Pass sigpass -Address {{Vip}}/24
                $null = Wait-CarpState -Name carp1 -State Master -Timeout 15
                [Console]::WriteLine('MASTER')
                while ($true) { Start-Sleep -Milliseconds 200 }
                """);
            var lines = new BlockingCollection<string>();
            // dotnet runs pwsh.dll in its own process: the signal reaches PowerShell itself, not the tool's launcher.
            var shell = net.Start(fw1, "dotnet", new Dictionary<string, string> { ["NO_COLOR"] = "1" }, pwsh, "-NoLogo", "-NoProfile", "-File", script);
            shell.OutputDataReceived += (_, e) => { if (e.Data is { } l) { lines.Add(l); } };
            shell.ErrorDataReceived += (_, e) => { if (e.Data is { } l) { lines.Add("ERR " + l); } };
            shell.BeginOutputReadLine();
            shell.BeginErrorReadLine();
            Assert.True(WaitForLine(lines, "MASTER", TimeSpan.FromSeconds(60)), "pwsh did not become MASTER: " + string.Join("\n", lines));
            Assert.True(Eventually(() => State(backup) == CarpState.Backup, TimeSpan.FromSeconds(5)), "carpd is not BACKUP");
            Assert.Equal(["carp1"], HostsOf(net, fw1));

            using var watch = AddressWatch.Start(net, fw1);
            var sentAt = DateTime.Now;
            var sent = Stopwatch.StartNew();
            Assert.Equal(0, Command.Run("kill", [$"-{signal}", shell.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]).ExitCode);
            var died = Task.Run(() => shell.WaitForExit(TimeSpan.FromSeconds(10)) ? DateTime.Now : (DateTime?)null);

            // The leaving host gives the VIP and its virtual MAC up within 100 ms of the signal (a bow-out) or, when it cannot
            // (SIGKILL), of its death: the kernel tears a process with packet sockets down in tens of ms before its pipes close.
            var deleted = watch.WaitDeleted(Vip, sentAt, TimeSpan.FromSeconds(2));
            Assert.True(deleted is not null, $"SIG{signal}: VIP left on fw1");
            var diedAt = await died;
            Assert.True(diedAt is not null, $"pwsh did not exit on SIG{signal}");
            var released = (deleted.Value - sentAt).TotalMilliseconds;
            if (bowsOut)
            {
                Assert.True(released <= 100, $"SIG{signal}: the VIP stayed {released:0} ms");
            }
            else
            {
                Assert.True((deleted.Value - diedAt.Value).TotalMilliseconds <= 100, $"SIGKILL: the VIP stayed {(deleted.Value - diedAt.Value).TotalMilliseconds:0} ms after pwsh died");
            }

            Assert.True(Eventually(() => HostsOf(net, fw1).Length == 0 && !HasMacvlan(net, fw1), TimeSpan.FromSeconds(2)), $"SIG{signal}: the macvlan stayed on fw1");

            // A bow-out hands over at once; without one the backup waits for master-down (3 × 1 s + 100/256 s).
            Assert.True(Eventually(() => State(backup) == CarpState.Master, TimeSpan.FromSeconds(6)), "carpd did not take over");
            var takeover = sent.Elapsed.TotalMilliseconds;
            if (bowsOut)
            {
                Assert.True(takeover < 1000, $"SIG{signal}: carpd took over after {takeover:0} ms: no bow-out");
            }
            else
            {
                Assert.True(takeover > 2000, $"SIGKILL cannot bow out, yet carpd took over after {takeover:0} ms");
            }

            Assert.Equal(["carp1"], HostsOf(net, fw2));
            Assert.Empty(HostsOf(net, fw1));

            // A client's ARP requests for the VIP get exactly one reply each.
            Assert.Equal(2, Arping.Replies(net, client, Vip, requests: 2).Length);
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"MEASURED: pwsh SIG{signal}: VIP gone from the pwsh host {released:0.0} ms after the signal ({(deleted.Value - diedAt.Value).TotalMilliseconds:0.0} ms after its death was seen); carpd MASTER after {takeover:0} ms");
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>
    /// pwsh.dll of the PowerShell tool eng/install-deps.sh installs ($CARP_TOOLS, else the repository's .tools). The tool's
    /// <c>pwsh</c> is a launcher that runs it as a child process, so a signal to the launcher would not reach PowerShell.
    /// </summary>
    internal static string PwshAssembly(string repositoryRoot)
    {
        var tools = Environment.GetEnvironmentVariable("CARP_TOOLS") is { Length: > 0 } t ? t : Path.Combine(repositoryRoot, ".tools");
        var store = Path.Combine(tools, ".store", "powershell");
        var path = Directory.Exists(store)
            ? Directory.EnumerateFiles(store, "pwsh.dll", SearchOption.AllDirectories).FirstOrDefault(p => p.Contains("/unix/", StringComparison.Ordinal))
            : null;
        if (path is null)
        {
            var message = $"pwsh is not installed under {store}: run eng/install-deps.sh.";
            if (Environment.GetEnvironmentVariable("CI") == "true")
            {
                Assert.Fail(message + " (CI=true: a missing prerequisite fails the run.)");
            }

            Assert.Skip(message);
        }

        return path;
    }

    private static void RequireTestbed()
    {
        if (TestbedPrerequisites.MissingReason is { } missing)
        {
            if (Environment.GetEnvironmentVariable("CI") == "true")
            {
                Assert.Fail($"The signal tests need {missing}. (CI=true: a missing prerequisite fails the run.)");
            }

            Assert.Skip($"The signal tests need {missing}.");
        }
    }

    private static CarpState State(CarpdClient client) => client.GetInterfaces().Single(i => i.Name == "carp1").State;

    private static string[] HostsOf(TestNetwork net, string ns) =>
        net.Exec(ns, "ip", "-o", "-4", "addr", "show").StandardOutput.Split('\n')
            .Where(l => l.Contains($" {Vip}/", StringComparison.Ordinal))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1])
            .ToArray();

    private static bool HasMacvlan(TestNetwork net, string ns) =>
        net.Exec(ns, "ip", "-o", "link", "show", "type", "macvlan").StandardOutput.Contains("carp1@", StringComparison.Ordinal);

    private static bool WaitForLine(BlockingCollection<string> lines, string wanted, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (lines.TryTake(out var line, TimeSpan.FromMilliseconds(200)) && line == wanted)
            {
                return true;
            }
        }

        return false;
    }

    private static bool Eventually(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (condition())
            {
                return true;
            }

            Thread.Sleep(2);
        }

        return condition();
    }
}
