using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Control;
using Carp.Testbed;

namespace Carp.Network.Tests.Scenarios;

/// <summary>
/// carpd killed with SIGKILL while MASTER: its address guardian removes its macvlan and VIP within
/// 100 ms; started again with the same configuration it rejoins the election with no duplicate or
/// stale address and no second macvlan.
/// </summary>
public sealed class CarpdCrashScenarios
{
    private const string Vip = "192.0.2.1";

    [Fact]
    public void Sigkill_while_master_then_restart_leaves_no_stale_or_duplicate_address()
    {
        using var s = new Scenario(nodes: 3); // node 3: a client on the LAN
        var n1 = s.Node(1);
        var n2 = s.Node(2);
        string conf1 = CarpdProcess.WriteConfig(s, "n1.conf", 0);
        string conf2 = CarpdProcess.WriteConfig(s, "n2.conf", 100);

        var watch = s.Watch(n1);
        var a = CarpdProcess.Start(s, "carpd1", n1.Namespace, conf1);
        var b = CarpdProcess.Start(s, "carpd2", n2.Namespace, conf2);
        a.WaitState(CarpState.Master, TimeSpan.FromSeconds(10));
        b.WaitState(CarpState.Backup, TimeSpan.FromSeconds(3));
        Assert.Equal(["carp1"], s.InterfacesWith(n1.Namespace, Vip));
        Assert.Empty(s.InterfacesWith(n2.Namespace, Vip));

        using var addresses = AddressWatch.Start(s.Net, n1.Namespace);
        var killedAt = DateTime.Now;
        a.Kill();
        var diedAt = DateTime.Now; // reaped: the kernel has torn the process down
        long killed = Clock.Now; // the process is gone: nothing it sent can still be on the way
        // Its address guardian takes the VIP and the macvlan (the virtual MAC) away at once.
        var deleted = addresses.WaitDeleted(Vip, killedAt, TimeSpan.FromSeconds(1));
        Assert.True(deleted is not null, "the killed carpd's VIP is still on its host");
        s.Measure($"carpd SIGKILL: its VIP gone {(deleted.Value - killedAt).TotalMilliseconds:0.0} ms after the signal, " +
                  $"{(deleted.Value - diedAt).TotalMilliseconds:0.0} ms after its death was seen (the kernel's timestamp of the deletion)");
        Assert.True((deleted.Value - diedAt).TotalMilliseconds <= 100, $"the VIP stayed {(deleted.Value - diedAt).TotalMilliseconds:0} ms after carpd died");
        Assert.True(Scenario.Eventually(() => !HasMacvlan(s, n1.Namespace), TimeSpan.FromSeconds(1), 5), "the killed carpd's macvlan is still on its host");
        b.WaitState(CarpState.Master, TimeSpan.FromSeconds(6));
        long seen = Clock.Now;
        var last = watch.Adverts.Last(_ => true, before: killed) ?? throw new InvalidOperationException("no advert of carpd1 captured");
        Assert.Empty(watch.Adverts.All(_ => true, killed)); // SIGKILL: no bow-out, nothing after the kill
        s.Measure($"carpd SIGKILL: the other carpd seen MASTER (polled every 25 ms) {Clock.Ms(last.At, seen):0} ms after the last advert of the killed one (master-down 3391 ms)");
        Assert.InRange(Clock.Ms(last.At, seen), 3390 - 50, 3390 + 500);
        // A client's ARP request for the VIP gets exactly one reply, the new master's.
        Assert.Equal(["00:00:5E:00:01:01", "00:00:5E:00:01:01"], Arping.Replies(s.Net, s.Node(3).Namespace, Vip, requests: 2));

        var a2 = CarpdProcess.Start(s, "carpd1'", n1.Namespace, conf1);
        // While the restarted carpd is BACKUP its namespace must not hold the VIP any more.
        var before = a2.Status();
        string[] onA = s.InterfacesWith(n1.Namespace, Vip);
        var after = a2.Status();
        if (before.State == CarpState.Backup && after.State == CarpState.Backup && before.Transitions == after.Transitions)
        {
            Assert.Empty(onA);
            s.Log("test", "restarted carpd is BACKUP and holds no VIP");
        }

        // preempt=1 in both configs: the election gives the vhid back to the lower advskew.
        a2.WaitState(CarpState.Master, TimeSpan.FromSeconds(6));
        b.WaitState(CarpState.Backup, TimeSpan.FromSeconds(3));
        Assert.True(Scenario.Eventually(() => s.InterfacesWith(n2.Namespace, Vip).Length == 0, TimeSpan.FromSeconds(2)), "the backup kept the VIP");

        Assert.Equal(["carp1"], s.InterfacesWith(n1.Namespace, Vip)); // exactly once, on carp1
        Assert.Empty(s.InterfacesWith(n2.Namespace, Vip));
        foreach (var node in new[] { n1, n2 })
        {
            var macvlans = s.Net.Ip("-n", node.Namespace, "-o", "link", "show", "type", "macvlan").StandardOutput
                .Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(macvlans);
            Assert.Contains("carp1@eth0", macvlans[0]);
            Assert.Contains("00:00:5e:00:01:01", macvlans[0]);
        }

        Assert.Equal(CarpState.Master, a2.Status().State);
        Assert.Equal(CarpState.Backup, b.Status().State);
    }

    [Fact]
    public void Sigstop_master_loses_its_vip_before_the_backup_takes_it_and_one_master_follows_sigcont()
    {
        using var s = new Scenario();
        var n1 = s.Node(1);
        var n2 = s.Node(2);
        var a = CarpdProcess.Start(s, "carpd1", n1.Namespace, CarpdProcess.WriteConfig(s, "n1.conf", 0));
        var b = CarpdProcess.Start(s, "carpd2", n2.Namespace, CarpdProcess.WriteConfig(s, "n2.conf", 100));
        a.WaitState(CarpState.Master, TimeSpan.FromSeconds(10));
        b.WaitState(CarpState.Backup, TimeSpan.FromSeconds(3));
        using var on1 = AddressWatch.Start(s.Net, n1.Namespace);
        using var on2 = AddressWatch.Start(s.Net, n2.Namespace);

        var stoppedAt = DateTime.Now;
        a.Signal("STOP");
        // The guardian acts 2.47 s after the last advert (StallWatch.TimeoutFor); the backup's master-down 3 × 1 + 100/256 s after it.
        var gone = on1.WaitDeleted(Vip, stoppedAt, TimeSpan.FromSeconds(5));
        var taken = on2.WaitAdded(Vip, stoppedAt, TimeSpan.FromSeconds(6));
        Assert.True(gone is not null, "the stopped carpd kept its VIP");
        Assert.True(taken is not null, "the backup did not take the VIP over");
        s.Measure($"carpd SIGSTOP: VIP gone from the stopped master {(gone.Value - stoppedAt).TotalMilliseconds:0} ms after the stop, " +
                  $"{(taken.Value - gone.Value).TotalMilliseconds:0} ms before the backup took it (never both)");
        Assert.True(gone < taken, "both hosts held the VIP at once");
        Assert.Empty(s.InterfacesWith(n1.Namespace, Vip));

        var continuedAt = Clock.Now;
        a.Signal("CONT");
        // preempt=1: the better master (advskew 0) takes the vhid back; within 2 advert intervals there is one master.
        a.WaitState(CarpState.Master, TimeSpan.FromSeconds(2));
        b.WaitState(CarpState.Backup, TimeSpan.FromSeconds(2));
        s.Measure($"carpd SIGCONT: one master again (the resumed one) {Clock.Ms(continuedAt, Clock.Now):0} ms after the continue (polled every 25 ms)");
        Assert.True(Scenario.Eventually(() => s.InterfacesWith(n2.Namespace, Vip).Length == 0, TimeSpan.FromSeconds(1)), "the backup kept the VIP");
        Assert.Equal(["carp1"], s.InterfacesWith(n1.Namespace, Vip));
        Assert.Equal(TransitionReason.Preempt, a.Status().LastTransitionReason);
    }

    private static bool HasMacvlan(Scenario s, string ns) =>
        s.Net.Ip("-n", ns, "-o", "link", "show", "type", "macvlan").StandardOutput.Contains("carp1@", StringComparison.Ordinal);
}

/// <summary>carpd started as systemd would (NOTIFY_SOCKET, awaiting READY=1) in a namespace, reached through its control socket.</summary>
internal sealed class CarpdProcess : IDisposable
{
    private readonly Scenario _scenario;
    private readonly string _label;

    private CarpdProcess(Scenario scenario, string label, Process process, CarpdClient client)
    {
        _scenario = scenario;
        _label = label;
        Process = process;
        Client = client;
    }

    public Process Process { get; }

    public CarpdClient Client { get; }

    public static string WriteConfig(Scenario s, string fileName, byte advSkew)
    {
        return SecretFile.Write(Path.Combine(s.WorkDirectory, fileName),
            $"net.inet.carp.preempt=1\ncarp1 vhid 1 carpdev eth0 pass foobar advbase 1 advskew {advSkew} 192.0.2.1/24\n");
    }

    public static CarpdProcess Start(Scenario s, string label, string ns, string configPath)
    {
        string socketPath = Path.Combine(s.WorkDirectory, label.Replace('\'', '_') + ".sock");
        var process = CarpdLauncher.Start(s.Net, ns, socketPath, configPath, line => s.Log(label, line));
        s.Log(label, $"READY=1, PID {process.Id}");
        return s.Own(new CarpdProcess(s, label, process, new CarpdClient(socketPath)));
    }

    public VirtualHostStatus Status(string name = "carp1") => Client.GetInterfaces().Single(i => i.Name == name);

    /// <summary>Polls carpd (an external process) until carp1 is in <paramref name="state"/>.</summary>
    public void WaitState(CarpState state, TimeSpan timeout)
    {
        CarpState last = CarpState.Init;
        bool reached = Scenario.Eventually(() => (last = Status().State) == state, timeout, 25);
        Assert.True(reached, $"{_label}: carp1 is {last}, not {state}, after {timeout.TotalSeconds} s");
        _scenario.Log(_label, "carp1 is " + state);
    }

    /// <summary>Sends SIG<paramref name="signal"/> to this carpd by its PID.</summary>
    public void Signal(string signal)
    {
        _scenario.Log(_label, $"SIG{signal} PID {Process.Id}");
        Assert.Equal(0, Command.Run("kill", [$"-{signal}", Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]).ExitCode);
    }

    /// <summary>SIGKILL by PID: no bow-out, nothing released.</summary>
    public void Kill()
    {
        _scenario.Log(_label, $"SIGKILL PID {Process.Id}");
        Client.Dispose();
        Process.Kill();
        Assert.True(Process.WaitForExit(5000), "carpd did not die");
    }

    public void Dispose() => Client.Dispose();
}
