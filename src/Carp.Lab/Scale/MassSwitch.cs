using System.Globalization;
using System.Net;
using Carp.Engine.Core;
using Carp.Testbed;

namespace Carp.Lab.Scale;

/// <summary>
/// The mass switch: a master of N vhids whose advert timers all run together (its carpdev's link went down and up, so every
/// vhid re-armed master-down in the same pass and took over in the same pass), a backup of the same N, and the master's
/// death (cable pulled, then SIGKILL once the backup has taken over). Measured from the backup's earliest master-down
/// deadline (the master's last advert of a vhid on the bridge + the bound) to each virtual address the kernel reports
/// added in the backup (<c>ip -ts monitor</c>).
/// </summary>
internal static class MassSwitch
{
    private const byte BackupAdvSkew = 100;

    public static bool Run(string macMode, int count, string work, TextWriter output)
    {
        using var net = TestNetwork.Create(nodeCount: 0);
        var br = net.AddNamespace("br");
        net.AddBridge(br, "br0");
        // The bridge stands in for a switch: its frames are forwarded in the backup's sendmmsg, so netfilter stays out of it.
        net.MakePlainSwitch(br);
        var m = net.AddNamespace("m");
        var b = net.AddNamespace("b");
        net.Plug(m, "eth0", br, "br0", "pm", "192.0.2.1/24");
        net.Plug(b, "eth0", br, "br0", "pb", "192.0.2.2/24");
        var hosts = ScaleConfig.OneDevice(count);
        var bound = TimeSpan.FromMicroseconds(CarpTiming.MasterDown(MasterDownFormula.ThreeAdvBasePlusSkew, 1, BackupAdvSkew));

        using var capture = new BridgeCapture(br, immediate: false, "br0");
        using var master = new CarpdNode(net, "m", m, ScaleConfig.Write(Path.Combine(work, $"switch-m-{macMode}.conf"), hosts, 0, macMode), work);
        using var backup = new CarpdNode(net, "b", b, ScaleConfig.Write(Path.Combine(work, $"switch-b-{macMode}.conf"), hosts, BackupAdvSkew, macMode), work);
        master.Start();
        Require(AllIn(master, hosts, CarpState.Master, TimeSpan.FromSeconds(60)), "the master did not become MASTER of every vhid");
        // Down and up: every vhid re-arms master-down in one pass, so from now on all its adverts leave together.
        net.Ip("-n", m, "link", "set", "eth0", "down");
        Require(AllIn(master, hosts, CarpState.Init, TimeSpan.FromSeconds(10)), "the master's vhids did not go to INIT with eth0 down");
        net.Ip("-n", m, "link", "set", "eth0", "up");
        Require(AllIn(master, hosts, CarpState.Master, TimeSpan.FromSeconds(20)), "the master's vhids did not come back as MASTER");
        backup.Start();
        Require(AllIn(backup, hosts, CarpState.Backup, TimeSpan.FromSeconds(30)), "the backup did not become BACKUP of every vhid");
        using var watch = AddressWatch.Start(net, b, realtime: true);
        Thread.Sleep(TimeSpan.FromSeconds(2.5));

        // The master's cable is pulled; the master itself is killed after the measurement. Killed now, its guardian would
        // delete its N macvlans while the backup takes over, and on this one kernel each deletion holds rtnl_lock for
        // about 23 ms (255 take 5.9 s): the backup's address adds waited for it, up to 33 ms in a pass of 230. Two
        // firewalls never share a kernel; a master that loses its link only drops its addresses, milliseconds after the pull.
        net.Ip("-n", br, "link", "set", "pm", "down");
        var pulled = DateTimeOffset.UtcNow;
        var tookOver = AllIn(backup, hosts, CarpState.Master, bound + TimeSpan.FromSeconds(15));
        master.Kill();
        var since = pulled.LocalDateTime;
        var seen = hosts.Select(h => watch.WaitAdded(h.Address, since, TimeSpan.FromSeconds(tookOver ? 5 : 0))).ToArray();
        var vips = hosts.Select(h => IPAddress.Parse(h.Address)).ToHashSet();
        // The capture hands frames over in blocks: wait for the last one (every VIP's gratuitous ARP, or a second).
        ScaleLab.Wait(() => capture.Frames.Count(f => f.Kind == "garp" && f.At > pulled && vips.Contains(f.Source)) >= count, TimeSpan.FromSeconds(1));
        var frames = capture.Frames.ToArray();
        var masterIp = IPAddress.Parse("192.0.2.1");
        var backupIp = IPAddress.Parse("192.0.2.2");
        var lastOld = hosts.Select(h => frames.LastOrDefault(f => f.Kind == "advert" && f.Vhid == h.Vhid && f.Source.Equals(masterIp) && f.At <= pulled)?.At).ToArray();
        var firstNew = hosts.Select(h => frames.FirstOrDefault(f => f.Kind == "advert" && f.Vhid == h.Vhid && f.Source.Equals(backupIp) && f.At > pulled)?.At).ToArray();
        var garpFrames = frames.Where(f => f.Kind == "garp" && f.At > pulled && vips.Contains(f.Source)).ToArray();
        var garps = garpFrames.Select(f => f.At).ToArray();
        var firstGarp = garpFrames.GroupBy(f => f.Source).ToDictionary(g => g.Key, g => g.Min(f => f.At));
        // A VIP is up when the kernel has it: ip monitor stamps that in user space (late on a busy machine), and the backup
        // sends the VIP's gratuitous ARP only after the kernel acknowledged the add, so its kernel-stamped time on the
        // bridge bounds the add from above. Each VIP counts from the earlier of the two (Min skips the one not seen).
        var up = hosts.Select((h, i) => new[]
        {
            firstGarp.TryGetValue(IPAddress.Parse(h.Address), out var garp) ? garp : (DateTimeOffset?)null,
            seen[i] is { } monitor ? new DateTimeOffset(monitor) : null,
        }.Min()).ToArray();

        output.WriteLine();
        output.WriteLine($"Mass switch, {macMode} MAC: {count} vhids on one carpdev, the master dies, the backup (advskew {BackupAdvSkew}) takes all over; bound 3×advbase+advskew/256 = {bound.TotalMilliseconds:F3} ms");
        if (!tookOver || lastOld.Any(t => t is null) || up.Any(t => t is null))
        {
            output.WriteLine($"  FAILED: took over {hosts.Count(h => backup.StateOf(h.Name) == CarpState.Master)}/{count}; master's last advert seen for {lastOld.Count(t => t is not null)}; VIPs seen added {up.Count(t => t is not null)}");
            return false;
        }

        var earliest = lastOld.Min()!.Value + bound;
        var latest = lastOld.Max()!.Value + bound;
        var upAt = up.Select(t => t!.Value).Order().ToArray();
        string Ms(DateTimeOffset at) => (at - earliest).TotalMilliseconds.ToString("+0.000;-0.000", CultureInfo.InvariantCulture) + " ms";
        output.WriteLine($"  master-down deadlines (master's last advert + bound): earliest = 0, latest {Ms(latest)}");
        output.WriteLine($"  backup's adverts on the bridge: first {Ms(firstNew.Where(t => t is not null).Min()!.Value)}, last {Ms(firstNew.Where(t => t is not null).Max()!.Value)} ({firstNew.Count(t => t is not null)}/{count} seen)");
        var monitored = seen.Where(t => t is not null).Select(t => new DateTimeOffset(t!.Value)).Order().ToArray();
        if (monitored.Length > 0)
        {
            output.WriteLine($"  VIPs added (kernel RTM_NEWADDR, ip -ts monitor): first {Ms(monitored[0])}, median {Ms(monitored[monitored.Length / 2])}, last {Ms(monitored[^1])} ({monitored.Length} seen)");
        }

        if (garps.Length > 0)
        {
            output.WriteLine($"  gratuitous ARPs on the bridge: first {Ms(garps.Min())}, last {Ms(garps.Max())} ({garps.Length} seen)");
        }

        output.WriteLine($"  VIPs up (the earlier of the two per VIP): first {Ms(upAt[0])}, median {Ms(upAt[upAt.Length / 2])}, all {count} up {Ms(upAt[^1])}");

        // Each VIP against its own vhid's deadline: what "when all coincide" would show if the lab's bridge let them coincide.
        var worstOwn = hosts.Select((_, i) => (up[i]!.Value - (lastOld[i]!.Value + bound)).TotalMilliseconds).Max();
        output.WriteLine($"  RESULT: all {count} up {(upAt[^1] - earliest).TotalMilliseconds:F3} ms after the earliest master-down deadline, " +
                         $"{(upAt[^1] - latest).TotalMilliseconds:F3} ms after the latest, each at most {worstOwn:F3} ms after its own" +
                         ((latest - earliest).TotalMilliseconds > 5 ? " (the master's last adverts did not leave together: its deadlines do not coincide)" : ""));
        return true;
    }

    private static bool AllIn(CarpdNode node, IReadOnlyList<ScaleConfig.Vhost> hosts, CarpState state, TimeSpan timeout) =>
        ScaleLab.Wait(() => hosts.All(h => node.StateOf(h.Name) == state), timeout);

    private static void Require(bool condition, string problem)
    {
        if (!condition)
        {
            throw new InvalidOperationException(problem);
        }
    }
}
