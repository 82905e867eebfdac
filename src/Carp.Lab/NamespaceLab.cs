using System.Diagnostics;
using System.Globalization;
using System.Net;
using Carp.Engine.Core;
using Carp.Testbed;

namespace Carp.Lab;

/// <summary>
/// The failover lab: the seed's two firewalls in network namespaces — a bridge namespace with a
/// LAN (br0) and a WAN (br1), nodes n1 and n2 running CARP on both, a client pinging the LAN
/// address every 10 ms. The master dies (carpd SIGKILL and its cables pulled), the backup takes
/// over, the master comes back and preempts. Prints the timeline and the failover figures. With --vrrp
/// the nodes speak VRRPv3 (n1 priority 200, n2 priority 100, --interval), n2 being carpd or keepalived.
/// </summary>
internal static class NamespaceLab
{
    private const string LanVip = "192.0.2.100";
    private const string LanVip6 = "2001:db8::100";
    private const string WanVip = "198.51.100.100";

    public static int Run(LabOptions options, TextWriter output)
    {
        if (options.IPv6 && options.Peer != "ours")
        {
            output.WriteLine("carp-lab: the lab's ucarp and keepalived nodes are IPv4 only; use --ipv6 with --peer ours.");
            return 2;
        }

        using var net = TestNetwork.Create(nodeCount: 0);
        var work = Directory.CreateTempSubdirectory("carp-lab-");
        try
        {
            return RunLab(options, output, net, work.FullName);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or TimeoutException)
        {
            output.WriteLine($"RESULT: FAILED — {ex.Message}");
            return 1;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static int RunLab(LabOptions options, TextWriter output, TestNetwork net, string work)
    {
        // Topology: bridge namespace with br0 (LAN) and br1 (WAN); n1, n2 on both; the client on the LAN.
        var br = net.AddNamespace("br");
        net.AddBridge(br, "br0");
        net.AddBridge(br, "br1");
        var n1 = net.AddNamespace("n1");
        var n2 = net.AddNamespace("n2");
        var cl = net.AddNamespace("client");
        net.Plug(n1, "eth0", br, "br0", "l1", "192.0.2.1/24", "2001:db8::1/64");
        net.Plug(n1, "eth1", br, "br1", "w1", "198.51.100.1/24");
        net.Plug(n2, "eth0", br, "br0", "l2", "192.0.2.2/24", "2001:db8::2/64");
        net.Plug(n2, "eth1", br, "br1", "w2", "198.51.100.2/24");
        net.Plug(cl, "eth0", br, "br0", "lc", "192.0.2.10/24", "2001:db8::10/64");

        var interval = options.Interval ?? (ushort)(options.AdvBase * 100);
        var bound = options.Vrrp
            ? TimeSpan.FromMicroseconds(VrrpTiming.MasterDown(VrrpBackupPriority, interval))
            : options.Peer == "keepalived" && options.Interval is { } keepalivedInterval
            ? TimeSpan.FromMicroseconds(VrrpTiming.MasterDown(128, keepalivedInterval))
            : TimeSpan.FromMicroseconds(CarpTiming.MasterDown(MasterDownFormula.ThreeAdvBasePlusSkew, options.AdvBase, 128));
        // keepalived speaks VRRPv3, we speak CARP: its run is keepalived on both nodes, priorities 200 - advskew and 128, so
        // its bound (3 × interval + (256 - 128)/256 × interval) is ours.
        KeepalivedNode.Instance[] vrrp = [new("carp1", "eth0", 1, LanVip, 24), new("carp2", "eth1", 2, WanVip, 24)];
        LabNode node1 = options.Vrrp
            ? new CarpdNode(net, "n1", n1, WriteVrrpConfig(work, "n1", VrrpMasterPriority, interval), work)
            : options.Peer == "keepalived"
            ? new KeepalivedNode(net, "n1", n1, work, vrrp, (byte)(200 - options.AdvSkew), options.AdvBase, options.Interval)
            : new CarpdNode(net, "n1", n1, WriteConfig(work, "n1", options.AdvBase, options.AdvSkew, options.IPv6), work);
        LabNode node2 = options.Vrrp && options.Peer == "keepalived" ? new KeepalivedNode(net, "n2", n2, work, vrrp, VrrpBackupPriority, options.AdvBase, interval)
            : options.Vrrp ? new CarpdNode(net, "n2", n2, WriteVrrpConfig(work, "n2", VrrpBackupPriority, interval), work)
            : options.Peer == "keepalived" ? new KeepalivedNode(net, "n2", n2, work, vrrp, 128, options.AdvBase, options.Interval)
            : options.Peer == "ucarp"
            ? new UcarpNode(net, "n2", n2, work,
                [
                    new("carp1", "eth0", "192.0.2.2", 1, "lanpasswd", LanVip, 24, 128),
                    new("carp2", "eth1", "198.51.100.2", 2, "wanpasswd", WanVip, 24, 128),
                ], options.AdvBase)
            : new CarpdNode(net, "n2", n2, WriteConfig(work, "n2", options.AdvBase, 128, options.IPv6), work);

        output.WriteLine($"CarpPS failover lab — namespaces {net.Id}-*: LAN 192.0.2.0/24 (carp1 {LanVip}{(options.IPv6 ? $", {LanVip6}" : "")}), WAN 198.51.100.0/24 (carp2 {WanVip})");
        output.WriteLine(options.Vrrp
            ? $"  VRRPv3, interval {interval * 10} ms: n1: {node1.Implementation}, priority {VrrpMasterPriority}; n2: {node2.Implementation}, priority {VrrpBackupPriority}; preempt on; client pings {LanVip} every 10 ms"
            : $"  n1: {node1.Implementation}, advbase {options.AdvBase} advskew {options.AdvSkew}; n2: {node2.Implementation}, advskew 128; preempt on; client pings {(options.IPv6 ? LanVip6 : LanVip)} every 10 ms");
        var boundName = options.Vrrp || options.Interval is not null ? "master-down 3×interval+skew" : "bound 3×advbase+advskew/256";

        using var capture = new BridgeCapture(br, "br0", "br1");
        using (node1)
        using (node2)
        {
            node1.Start();
            node2.Start();
            var nodes = new[] { node1, node2 };
            Require(WaitUntil(() => OneMasterEach(nodes) && node1.StateOf("carp1") == CarpState.Master, TimeSpan.FromSeconds(10 + (4 * options.AdvBase))),
                "no single master per vhid after start");

            var ping = net.Start(cl, "ping", "-n", "-D", "-i", "0.01", options.IPv6 ? LanVip6 : LanVip);
            var pings = new PingMonitor(ping);
            Require(WaitUntil(() => pings.Replies > 20, TimeSpan.FromSeconds(5)), "the client gets no reply from the virtual address");

            var results = new List<RunResult>();
            for (var run = 1; run <= options.Runs; run++)
            {
                if (options.Fresh && run > 1)
                {
                    // n1 was restarted by the last run; n2 is restarted now, so its takeover is its process's first.
                    node2.Kill();
                    node2.Start();
                    Require(WaitUntil(() => OneMasterEach(nodes) && node2.StateOf("carp1") == CarpState.Backup && node2.StateOf("carp2") == CarpState.Backup,
                        TimeSpan.FromSeconds(10 + (4 * options.AdvBase))), "n2 did not come back as BACKUP after its restart");
                    Thread.Sleep(TimeSpan.FromSeconds(2 * options.AdvBase));
                }

                var result = FailOverAndBack(net, br, node1, node2, capture, pings, bound, options);
                results.Add(result);
                if (run == 1 || options.Runs <= 3)
                {
                    PrintTimeline(output, result, bound, boundName);
                }
            }

            ping.Kill();
            Summarize(output, results, bound, boundName, node2.Implementation + (options.Fresh ? ", each run with freshly started processes (first takeovers)" : ""));
            var ok = results.All(r => r.Ok);
            output.WriteLine(ok ? "RESULT: ok (failover within the bound, one master per vhid, preemption returned n1)" : "RESULT: FAILED — " + string.Join("; ", results.Where(r => !r.Ok).Select(r => r.Problem)));
            return ok ? 0 : 1;
        }
    }

    private sealed record RunResult(
        DateTimeOffset Killed,
        Observed? LastOldAdvert,
        Observed? FirstNewAdvert,
        Observed? FirstNewGarp,
        TimeSpan ClientOutage,
        DateTimeOffset Restarted,
        TimeSpan? Preemption,
        IReadOnlyList<NodeTransition> Transitions,
        string? Problem)
    {
        public bool Ok => Problem is null;

        public TimeSpan? Takeover => FirstNewAdvert is null || LastOldAdvert is null ? null : FirstNewAdvert.At - LastOldAdvert.At;
    }

    private static RunResult FailOverAndBack(TestNetwork net, string br, LabNode node1, LabNode node2, BridgeCapture capture, PingMonitor pings, TimeSpan bound, LabOptions options)
    {
        var nodes = new[] { node1, node2 };
        var settle = bound + TimeSpan.FromSeconds(3);
        while (capture.Frames.TryPeek(out var old) && old.At < DateTimeOffset.UtcNow - TimeSpan.FromSeconds(10 * options.AdvBase))
        {
            capture.Frames.TryDequeue(out _);
        }

        node1.Transitions.Clear();
        node2.Transitions.Clear();

        // The master dies: the daemon is killed and the host drops off both segments at the same moment.
        var killed = DateTimeOffset.UtcNow;
        node1.Kill();
        net.Ip("-n", br, "link", "set", "l1", "down");
        net.Ip("-n", br, "link", "set", "w1", "down");

        var tookOver = WaitUntil(() => node2.StateOf("carp1") == CarpState.Master && node2.StateOf("carp2") == CarpState.Master, settle);
        var takeoverSeen = DateTimeOffset.UtcNow;
        WaitUntil(() => pings.AnyReplyAfter(takeoverSeen), TimeSpan.FromSeconds(2));
        var frames = capture.Frames.ToArray();
        var lastOld = frames.LastOrDefault(f => f.Kind == "advert" && f.Vhid == 1 && f.Source.Equals(IPAddress.Parse("192.0.2.1")) && f.At <= killed);
        var firstNew = frames.FirstOrDefault(f => f.Kind == "advert" && f.Vhid == 1 && f.Source.Equals(IPAddress.Parse("192.0.2.2")) && f.At > killed);
        var firstGarp = frames.FirstOrDefault(f => f.Kind == "garp" && f.Source.Equals(IPAddress.Parse(LanVip)) && f.At > killed);
        var outage = pings.LongestGapAfter(killed);
        var problem = !tookOver ? $"n2 did not take over within {settle.TotalSeconds:F1} s"
            : !OneMasterEach(nodes) ? "more than one master after the takeover"
            : !pings.AnyReplyAfter(takeoverSeen) ? "the client gets no reply after the takeover"
            : null;

        // The old master comes back: cables in, carpd started; it must come up without stale addresses and preempt.
        net.Ip("-n", br, "link", "set", "l1", "up");
        net.Ip("-n", br, "link", "set", "w1", "up");
        var restarted = DateTimeOffset.UtcNow;
        node1.Start();
        var preempted = WaitUntil(() => node1.StateOf("carp1") == CarpState.Master && node1.StateOf("carp2") == CarpState.Master &&
                                        node2.StateOf("carp1") == CarpState.Backup && node2.StateOf("carp2") == CarpState.Backup, settle);
        var preemption = preempted ? DateTimeOffset.UtcNow - restarted : (TimeSpan?)null;
        problem ??= !preempted ? "n1 did not preempt after its restart"
            : net.Exec(node2.Namespace, "ip", "-o", "addr").StandardOutput.Contains(LanVip + "/", StringComparison.Ordinal) ? "n2 kept the LAN address as BACKUP"
            : null;

        var transitions = node1.Transitions.Concat(node2.Transitions).OrderBy(t => t.At).ToArray();
        return new RunResult(killed, lastOld, firstNew, firstGarp, outage, restarted, preemption, transitions, problem);
    }

    private static void PrintTimeline(TextWriter output, RunResult r, TimeSpan bound, string boundName)
    {
        string T(DateTimeOffset at) => ((at - r.Killed).TotalMilliseconds).ToString("+0.000;-0.000", CultureInfo.InvariantCulture).PadLeft(11) + " ms";
        var lines = new List<(DateTimeOffset At, string Text)> { (r.Killed, "n1 killed (carpd SIGKILL, cables pulled)") };
        if (r.LastOldAdvert is { } last)
        {
            lines.Add((last.At, "bridge: last " + last));
        }

        if (r.FirstNewAdvert is { } first)
        {
            lines.Add((first.At, "bridge: first " + first));
        }

        if (r.FirstNewGarp is { } garp)
        {
            lines.Add((garp.At, "bridge: first " + garp));
        }

        lines.Add((r.Restarted, "n1 back: cables in, carpd started"));
        lines.AddRange(r.Transitions.Where(t => t.Old != t.New).Select(t => (t.At, $"{t.Node} {t.Interface}: {t.Old} -> {t.New} ({t.Reason})")));
        output.WriteLine();
        output.WriteLine("Timeline (0 = the kill):");
        foreach (var (at, text) in lines.OrderBy(l => l.At))
        {
            output.WriteLine($"  {T(at)}  {text}");
        }

        output.WriteLine($"  takeover: last advert of n1 -> first advert of n2 = {Ms(r.Takeover)}; {boundName} = {bound.TotalMilliseconds:F3} ms; over the bound {Ms(r.Takeover - bound)}");
        output.WriteLine($"  client outage (longest gap between replies): {r.ClientOutage.TotalMilliseconds:F1} ms; preemption after n1's restart: {Ms(r.Preemption)}");
    }

    private static void Summarize(TextWriter output, List<RunResult> results, TimeSpan bound, string boundName, string peer)
    {
        var over = results.Where(r => r.Takeover is not null).Select(r => (r.Takeover!.Value - bound).TotalMilliseconds).Order().ToArray();
        if (over.Length == 0)
        {
            return;
        }

        var outages = results.Select(r => r.ClientOutage.TotalMilliseconds).Order().ToArray();
        output.WriteLine();
        output.WriteLine($"Summary over {results.Count} failover(s) to {peer} ({boundName} = {bound.TotalMilliseconds:F3} ms): takeover minus bound median {Percentile(over, 0.5):F3} ms, p99 {Percentile(over, 0.99):F3} ms, max {over[^1]:F3} ms; client outage median {Percentile(outages, 0.5):F0} ms");
        output.WriteLine("  takeover minus bound, each run in order (ms): " + string.Join(" ", results.Select(r => r.Takeover is { } t ? (t - bound).TotalMilliseconds.ToString("F3", CultureInfo.InvariantCulture) : "n/a")));
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static string Ms(TimeSpan? t) => t is null ? "n/a" : $"{t.Value.TotalMilliseconds:F3} ms";

    private static readonly string[] CarpInterfaces = ["carp1", "carp2"];

    private static bool OneMasterEach(LabNode[] nodes) =>
        CarpInterfaces.All(i => nodes.Count(n => n.StateOf(i) == CarpState.Master) == 1);

    private static string WriteConfig(string work, string node, byte advBase, byte advSkew, bool ipv6)
    {
        var lan = ipv6 ? $"{LanVip}/24 {LanVip6}/64" : $"{LanVip}/24";
        return SecretFile.Write(Path.Combine(work, node + ".conf"), $"""
            # {node} of the failover lab: the seed's two firewalls
            net.inet.carp.preempt=1
            carp1 vhid 1 carpdev eth0 pass lanpasswd advbase {advBase} advskew {advSkew} {lan}
            carp2 vhid 2 carpdev eth1 pass wanpasswd advbase {advBase} advskew {advSkew} {WanVip}/24

            """);
    }

    /// <summary>--vrrp: n1's priority (the preferred master) and n2's.</summary>
    private const byte VrrpMasterPriority = 200;
    private const byte VrrpBackupPriority = 100;

    private static string WriteVrrpConfig(string work, string node, byte priority, ushort interval) =>
        SecretFile.Write(Path.Combine(work, node + ".conf"), $"""
            # {node} of the failover lab, VRRPv3 (docs/protocol.md#vrrp): the seed's two vhids
            carp1 vhid 1 carpdev eth0 carpver 3 vrrpprio {priority} vrrpinterval {interval} {LanVip}/24
            carp2 vhid 2 carpdev eth1 carpver 3 vrrpprio {priority} vrrpinterval {interval} {WanVip}/24

            """);

    private static bool WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > timeout)
            {
                return false;
            }

            Thread.Sleep(5);
        }

        return true;
    }

    private static void Require(bool condition, string problem)
    {
        if (!condition)
        {
            throw new InvalidOperationException(problem);
        }
    }
}
