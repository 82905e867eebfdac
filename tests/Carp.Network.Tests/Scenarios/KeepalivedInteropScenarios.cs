using System.Diagnostics;
using System.Globalization;
using System.Net;
using Carp.Engine.Core;
using Carp.Engine.Protocol;
using Carp.Testbed;

namespace Carp.Network.Tests.Scenarios;

/// <summary>
/// VRRPv3 interop with Debian's keepalived 2.2.7 on the wire (docs/protocol.md#vrrp), both roles, IPv4 and IPv6, at a
/// 100 ms interval: priorities are respected both ways, a killed master is replaced after the master-down interval, a
/// master that stops hands over after the skew time (priority 0), and tshark decodes every advert of both as VRRPv3
/// with a good checksum.
/// </summary>
public sealed class KeepalivedInteropScenarios
{
    private const ushort Interval = 10; // centiseconds: 100 ms

    private static string Vip(bool v6) => v6 ? "2001:db8::1" : "192.0.2.1";

    /// <summary>
    /// The virtual addresses, in advert order: for IPv6 a link-local one first, as RFC 9568 (erratum 8300) wants and
    /// keepalived warns about otherwise.
    /// </summary>
    private static string[] Vips(bool v6) => v6 ? ["fe80::1/64", Vip(v6) + "/64"] : [Vip(v6) + "/24"];

    private static VirtualHostConfig Ours(byte priority, bool v6) => new()
    {
        Name = "carp1",
        Vhid = 1,
        CarpDev = "eth0",
        Protocol = VirtualHostProtocol.Vrrp,
        Priority = priority,
        Interval = Interval,
        Addresses = [.. Vips(v6).Select(CarpAddress.Parse)],
    };

    /// <summary>Master_Down_Interval of a backup of <paramref name="priority"/> at 100 ms, in ms.</summary>
    private static double MasterDownMs(byte priority) => VrrpTiming.MasterDown(priority, Interval) / 1000.0;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Keepalived_preempts_our_lower_priority_master_and_when_killed_we_take_over(bool v6)
    {
        using var s = new Scenario();
        var watch = VrrpWatch.Start(s);
        var ours = s.Engine("ours", s.Node(2).Namespace);
        ours.Create(Ours(100, v6));
        ours.WaitState(CarpState.Master, TimeSpan.FromSeconds(5));

        // keepalived, priority 200, starts as BACKUP, ignores our priority-100 adverts and takes over; we yield to it.
        long started = Clock.Now;
        var keepalived = KeepalivedProcess.Start(s, s.Node(1), priority: 200, v6);
        keepalived.WaitState("MASTER", TimeSpan.FromSeconds(10), started);
        var yielded = ours.WaitState(CarpState.Backup, TimeSpan.FromSeconds(3), started);
        Assert.Equal(TransitionReason.HigherPriorityMaster, yielded.Item.Reason);

        // Its adverts keep us BACKUP: heard, none dropped, its interval learnt.
        long since = Clock.Now;
        Assert.True(Scenario.Eventually(() => ours.Stats[v6 ? CarpStatistic.IPackets6 : CarpStatistic.IPackets] >= 20, TimeSpan.FromSeconds(5)));
        var stats = ours.Stats;
        Assert.Equal(0, stats.BadSum + stats.BadLen + stats.BadAddrs + stats.BadTtl + stats.BadVer + stats.BadVhid);
        Assert.Empty(ours.Transitions(since));
        Assert.Equal(CarpState.Backup, ours.State());
        Assert.Equal(Interval, ours.Status().MasterAdverInterval);
        Assert.Equal((byte)200, ours.Status().MasterSeenPriority);

        long killed = Clock.Now;
        keepalived.Kill();
        var master = ours.WaitState(CarpState.Master, TimeSpan.FromSeconds(3), killed);
        var last = watch.Adverts.Last(a => a.Priority == 200, before: master.At) ?? throw new InvalidOperationException("no advert of keepalived captured");
        double lag = Clock.Ms(last.At, master.At);
        s.Measure($"{(v6 ? "IPv6" : "IPv4")}: keepalived killed, ours MASTER {lag:0.0} ms after its last advert " +
                  $"(master-down {MasterDownMs(100):0.0} ms; takeover − master-down {lag - MasterDownMs(100):0.0} ms)");
        Assert.Equal(TransitionReason.MasterDown, master.Item.Reason);
        Assert.InRange(lag, MasterDownMs(100) - 20, MasterDownMs(100) + 300);
        Assert.True(Scenario.Eventually(() => s.InterfacesWith(s.Node(2).Namespace, Vip(v6)).Length == 1, TimeSpan.FromSeconds(2)), "our VIP is not up");

        AssertTsharkAgrees(s, watch, expectedSources: 2);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Keepalived_stays_backup_to_our_master_and_takes_over_at_its_skew_time_when_we_stop(bool v6)
    {
        using var s = new Scenario();
        var watch = VrrpWatch.Start(s);
        var ours = s.Engine("ours", s.Node(1).Namespace);
        ours.Create(Ours(200, v6));
        ours.WaitState(CarpState.Master, TimeSpan.FromSeconds(5));

        var keepalived = KeepalivedProcess.Start(s, s.Node(2), priority: 100, v6);
        var backup = keepalived.WaitState("BACKUP", TimeSpan.FromSeconds(10));
        // keepalived accepts our adverts: it stays BACKUP for 20 of them, far past its master-down (≈361 ms).
        watch.Adverts.Wait(a => a.Priority == 200, TimeSpan.FromSeconds(5), "our advert", backup.At);
        var twentieth = Enumerable.Range(0, 20).Aggregate(backup.At, (at, i) => watch.Adverts.Wait(a => a.Priority == 200, TimeSpan.FromSeconds(2), $"our advert {i + 1}", at + 1).At);
        Assert.Empty(keepalived.Lines.All(l => l.Contains("Entering MASTER", StringComparison.Ordinal), backup.At));
        Assert.Equal(CarpState.Master, ours.State());
        Assert.True(twentieth > backup.At);

        long stopped = Clock.Now;
        ours.Dispose(); // a priority-0 advert, then the addresses go
        var took = keepalived.WaitState("MASTER", TimeSpan.FromSeconds(3), stopped);
        var goodbye = watch.Adverts.Last(a => a.Priority == 0, since: stopped) ?? throw new InvalidOperationException("no priority-0 advert of ours captured");
        double lag = Clock.Ms(goodbye.At, took.At);
        var skewMs = VrrpTiming.Skew(100, Interval) / 1000.0;
        s.Measure($"{(v6 ? "IPv6" : "IPv4")}: ours stopped (priority 0), keepalived MASTER {lag:0.0} ms later " +
                  $"(skew time {skewMs:0.0} ms, master-down {MasterDownMs(100):0.0} ms)");
        Assert.True(lag < MasterDownMs(100) - 100, $"keepalived waited {lag:0} ms: it did not take our priority 0 as a shutdown");

        AssertTsharkAgrees(s, watch, expectedSources: 2);
    }

    /// <summary>
    /// The message-only IPv4 checksum is real on the wire: keepalived 2.2.7 (which has no v3_checksum_as_v2 yet: it came in
    /// 2.2.8) refuses such adverts ("Invalid VRRPv3 checksum") and takes over beside us, tshark calls them bad, and a backup
    /// in that mode still takes keepalived's pseudo-header adverts, as every receive takes either form
    /// (docs/protocol.md#vrrp-checksum).
    /// </summary>
    [Fact]
    public void A_message_only_checksum_is_refused_by_keepalived_2_2_7_while_we_take_either()
    {
        using var s = new Scenario();
        var watch = VrrpWatch.Start(s);
        var ours = s.Engine("ours", s.Node(1).Namespace);
        ours.Create(Ours(200, v6: false) with { VrrpChecksum = VrrpChecksumMode.MessageOnly });
        ours.WaitState(CarpState.Master, TimeSpan.FromSeconds(5));

        long started = Clock.Now;
        var keepalived = KeepalivedProcess.Start(s, s.Node(2), priority: 100, v6: false);
        keepalived.Lines.Wait(l => l.Contains("Invalid VRRPv3 checksum", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "keepalived refusing our checksum", started);
        keepalived.WaitState("MASTER", TimeSpan.FromSeconds(10), started);

        // keepalived's adverts (pseudo-header) pass our checks in message-only mode too. (While we advertise at its interval,
        // keepalived 2.2.7 sends none: each packet it reads, even a refused one, restarts the wait that ends in its advert.)
        // So ours leaves and comes back as a backup of priority 50, in the same mode.
        ours.Dispose();
        var backup = s.Engine("ours-again", s.Node(1).Namespace);
        backup.Create(Ours(50, v6: false) with { VrrpChecksum = VrrpChecksumMode.MessageOnly });
        Assert.True(Scenario.Eventually(() => backup.Stats.IPackets >= 5, TimeSpan.FromSeconds(5)), $"we heard {backup.Stats.IPackets} adverts");
        Assert.Equal(0, backup.Stats.BadSum);
        Assert.Equal((byte)100, backup.Status().MasterSeenPriority);
        Assert.Equal(CarpState.Backup, backup.State());

        var verdicts = watch.TsharkVerdicts();
        var ourSource = s.Node(1).IPv4.ToString();
        Assert.Contains(verdicts, v => v.StartsWith(ourSource + " ", StringComparison.Ordinal));
        Assert.All(verdicts, v => Assert.EndsWith(v.StartsWith(ourSource + " ", StringComparison.Ordinal) ? " 3 0" : " 3 1", v, StringComparison.Ordinal));
    }

    /// <summary>Every VRRP packet on the LAN, ours and keepalived's, decodes in tshark as version 3 with a good checksum.</summary>
    private static void AssertTsharkAgrees(Scenario s, VrrpWatch watch, int expectedSources)
    {
        var verdicts = watch.TsharkVerdicts();
        s.Measure($"tshark: {verdicts.Length} VRRP packets, {verdicts.Count(v => v.EndsWith(" 3 1", StringComparison.Ordinal))} version 3 with a good checksum");
        Assert.True(verdicts.Length >= 20, $"tshark saw {verdicts.Length} VRRP packets");
        Assert.All(verdicts, v => Assert.EndsWith(" 3 1", v, StringComparison.Ordinal));
        Assert.Equal(expectedSources, verdicts.Select(v => v.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0]).Distinct().Count());
    }
}

/// <summary>
/// Debian's keepalived in a node namespace, VRRPv3 at 100 ms, one instance "VI_1" (VRID 1) on the node's interface; its
/// own configuration and pid files in the scenario's directory; its log lines recorded.
/// </summary>
internal sealed class KeepalivedProcess
{
    private readonly Scenario _scenario;
    private readonly string _vrrpPidFile;

    private KeepalivedProcess(Scenario scenario, Process process, Recorder<string> lines, string vrrpPidFile)
    {
        _scenario = scenario;
        Process = process;
        Lines = lines;
        _vrrpPidFile = vrrpPidFile;
    }

    public Process Process { get; }

    public Recorder<string> Lines { get; }

    public static KeepalivedProcess Start(Scenario s, TestNode node, byte priority, bool v6, byte vrid = 1, string vip4 = "192.0.2.1/24")
    {
        string dir = s.WorkDirectory;
        string n = node.Number.ToString(CultureInfo.InvariantCulture);
        string vip = v6 ? $"fe80::1/64 dev {node.Interface}\n    2001:db8::1/64" : vip4;
        string config = Path.Combine(dir, $"keepalived-{n}.conf");
        SecretFile.Write(config, $$"""
            global_defs {
              router_id node{{n}}
              vrrp_version 3
            }

            vrrp_instance VI_1 {
              state BACKUP
              interface {{node.Interface}}
              virtual_router_id {{vrid}}
              priority {{priority}}
              advert_int 0.1
              virtual_ipaddress {
                {{vip}} dev {{node.Interface}}
              }
            }

            """);
        string vrrpPid = Path.Combine(dir, $"keepalived-{n}-vrrp.pid");
        var lines = new Recorder<string>("keepalived@" + n);
        var process = s.Net.Start(node.Namespace, "keepalived", "-n", "-l", "-D", "-P", "-f", config,
            "-p", Path.Combine(dir, $"keepalived-{n}.pid"), "-r", vrrpPid, "-c", Path.Combine(dir, $"keepalived-{n}-checkers.pid"));
        void OnLine(string? line)
        {
            if (line is not null)
            {
                lines.Add(line);
                s.Log("ka" + n, line);
            }
        }

        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        s.Log("ka" + n, $"started, PID {process.Id}");
        return new KeepalivedProcess(s, process, lines, vrrpPid);
    }

    /// <summary>keepalived's "(VI_1) Entering STATE STATE" line at or after <paramref name="since"/>.</summary>
    public Stamped<string> WaitState(string state, TimeSpan timeout, long since = 0) =>
        Lines.Wait(l => l.Contains($"Entering {state} STATE", StringComparison.Ordinal), timeout, "keepalived entering " + state, since);

    /// <summary>
    /// A crash: the parent and its VRRP child stopped first (no respawn, no priority-0 goodbye), then both killed, by PID
    /// (the child's from the pid file this process was given).
    /// </summary>
    public void Kill()
    {
        var child = File.Exists(_vrrpPidFile) && int.TryParse(File.ReadAllText(_vrrpPidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : 0;
        var pids = new[] { Process.HasExited ? 0 : Process.Id, child }.Where(id => id > 0).Select(id => id.ToString(CultureInfo.InvariantCulture)).ToArray();
        _scenario.Log("ka", $"killing PIDs {string.Join(", ", pids)}");
        foreach (var id in pids)
        {
            Command.Run("kill", "-STOP", id);
        }

        foreach (var id in pids.Reverse())
        {
            Command.Run("kill", "-KILL", id);
        }

        Assert.True(Process.WaitForExit(5000), "keepalived did not die");
    }
}
