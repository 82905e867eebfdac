using Carp.Engine.Core;
using Carp.Engine.Protocol;
using Carp.Engine.Simulation;

namespace Carp.Lab;

/// <summary>
/// The seed's two firewalls in the deterministic simulator: LAN and WAN vhids, fw2 with advskew 128,
/// preempt on; fw1 dies, fw2 takes over, fw1 returns and preempts. Prints the timeline.
/// </summary>
internal static class SimulatedLab
{
    public static int Run(LabOptions options, TextWriter output)
    {
        var lan = new SimulatedLan(seed: 1) { RecordAdvertisements = false };
        var inside = lan.AddLink("lan");
        var outside = lan.AddLink("wan");
        var sysctls = CarpSysctls.Default with { Preempt = true };
        var fw = new[] { lan.AddHost("fw1", sysctls), lan.AddHost("fw2", sysctls) };
        var configs = new List<VirtualHostConfig>[2];
        for (var i = 0; i < 2; i++)
        {
            fw[i].Connect(inside, "em0", $"192.0.2.{i + 1}", $"2001:db8::{i + 1}");
            fw[i].Connect(outside, "em1", $"198.51.100.{i + 1}");
            var skew = (byte)(i == 0 ? options.AdvSkew : 128);
            configs[i] =
            [
                Config("carp1", 1, "em0", "lanpasswd", skew, options, options.IPv6 ? "2001:db8::100/64" : "192.0.2.100/24"),
                Config("carp2", 2, "em1", "wanpasswd", skew, options, "198.51.100.100/24"),
            ];
            configs[i].ForEach(c => fw[i].Add(c));
        }

        output.WriteLine("CarpPS failover lab (simulated): fw1 and fw2 share carp1 (LAN) and carp2 (WAN); fw2 has advskew 128; preempt on.");
        lan.RunUntil(() => Masters(fw, "carp1") == 1 && Masters(fw, "carp2") == 1 && lan.Now > TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30));
        var killedAt = lan.Now;
        fw[0].Crash();
        var tookOver = lan.RunUntil(() => fw[1]["carp1"].State == CarpState.Master && fw[1]["carp2"].State == CarpState.Master, TimeSpan.FromSeconds(10));
        var takeoverAt = lan.Now;
        lan.RunFor(TimeSpan.FromSeconds(2));
        fw[0].Restart(configs[0]);
        var preempted = lan.RunUntil(() => fw[0]["carp1"].State == CarpState.Master && fw[1]["carp1"].State == CarpState.Backup, TimeSpan.FromSeconds(10));
        lan.RunFor(TimeSpan.FromSeconds(1));

        foreach (var e in lan.Timeline.Where(e => e.Kind is SimulationEventKind.StateChanged or SimulationEventKind.DemotionChanged))
        {
            output.WriteLine(e.ToString());
        }

        var bound = TimeSpan.FromMicroseconds(CarpTiming.MasterDown(MasterDownFormula.ThreeAdvBasePlusSkew, options.AdvBase, 128));
        output.WriteLine($"fw1 killed at {killedAt.TotalSeconds:F6}s; fw2 master at {takeoverAt.TotalSeconds:F6}s; bound 3×advbase+advskew/256 = {bound.TotalSeconds:F6}s after fw1's last advert");
        var ok = tookOver && preempted && Masters(fw, "carp1") == 1 && Masters(fw, "carp2") == 1;
        output.WriteLine(ok ? "RESULT: ok (one master per vhid, failover and preemption happened)" : "RESULT: FAILED");
        return ok ? 0 : 1;
    }

    private static VirtualHostConfig Config(string name, byte vhid, string dev, string pass, byte skew, LabOptions options, string address) => new()
    {
        Name = name,
        Vhid = vhid,
        CarpDev = dev,
        AdvBase = options.AdvBase,
        AdvSkew = skew,
        Key = CarpKey.FromPassphrase(pass),
        Addresses = [CarpAddress.Parse(address)],
    };

    private static int Masters(SimulatedHost[] hosts, string name) =>
        hosts.Count(h => !h.Crashed && h.Node.Find(name)?.State == CarpState.Master);
}
