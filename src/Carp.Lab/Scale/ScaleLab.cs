using System.Diagnostics;
using System.Globalization;
using Carp.Engine.Core;
using Carp.Testbed;

namespace Carp.Lab.Scale;

/// <summary>
/// <c>carp-lab --scale</c> (<c>./build.sh bench-scale</c>): carpd as MASTER of 1000 vhids (4 carpdevs × 250, advbase 1)
/// in virtual-MAC and in real-MAC mode — CPU, RSS, engine wake-ups and system calls — and the mass switch of 255 vhids
/// (<see cref="MassSwitch"/>). Everything runs in namespaces of its own ("carpt-PID-…"), removed in every outcome.
/// </summary>
internal static class ScaleLab
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    public static int Run(LabOptions options, TextWriter output)
    {
        var work = Directory.CreateTempSubdirectory("carp-scale-");
        try
        {
            var ok = true;
            if (options.ScalePart is "all" or "load")
            {
                output.WriteLine("carpd MASTER of 1000 vhids (4 carpdevs × 250: 3 × IPv4 /32, 1 × IPv6 /128), advbase 1, each figure over 10 s");
                output.WriteLine("| MAC mode | CPU (% of one core) | RSS | engine wake-ups/s | system calls/s (strace -c -f, all threads) | most frequent |");
                output.WriteLine("|---|---:|---:|---:|---:|---|");
                foreach (var mode in new[] { "virtual", "real" })
                {
                    output.WriteLine(Load(mode, work.FullName));
                }
            }

            if (options.ScalePart is "all" or "switch")
            {
                foreach (var mode in new[] { "virtual", "real" })
                {
                    ok &= MassSwitch.Run(mode, options.ScaleSwitchVhids, work.FullName, output);
                }
            }

            return ok ? 0 : 1;
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

    private static string Load(string macMode, string work)
    {
        using var net = TestNetwork.Create(nodeCount: 0);
        var peer = net.AddNamespace("peer");
        var m = net.AddNamespace("m");
        string[] own = ["192.0.2.254/24", "198.51.100.254/24", "203.0.113.254/24", "2001:db8:3::ffff/64"];
        for (var d = 0; d < own.Length; d++)
        {
            var dev = "eth" + d.ToString(CultureInfo.InvariantCulture);
            net.AddVethPair(peer, "p" + d.ToString(CultureInfo.InvariantCulture), m, dev);
            net.Ip(own[d].Contains(':', StringComparison.Ordinal)
                ? ["-n", m, "addr", "add", own[d], "dev", dev, "nodad"]
                : ["-n", m, "addr", "add", own[d], "dev", dev]);
        }

        var hosts = ScaleConfig.FourDevices(250);
        var config = ScaleConfig.Write(Path.Combine(work, $"load-{macMode}.conf"), hosts, 0, macMode);
        using var node = new CarpdNode(net, "m", m, config, work);
        node.Start();
        if (!Wait(() => hosts.All(h => node.StateOf(h.Name) == CarpState.Master), TimeSpan.FromSeconds(180)))
        {
            throw new InvalidOperationException($"{macMode} MAC: carpd did not become MASTER of all {hosts.Count} vhids ({hosts.Count(h => node.StateOf(h.Name) == CarpState.Master)} are)");
        }

        Thread.Sleep(TimeSpan.FromSeconds(2));
        var pid = node.ProcessId;
        var cost = ProcessSample.Measure(pid, Window);
        var (calls, top) = ProcessSample.CountSyscalls(pid, Window);
        var wakeups = cost.EngineWakeups is { } w ? (w / cost.Window.TotalSeconds).ToString("F0", CultureInfo.InvariantCulture) : "n/a";
        return string.Create(CultureInfo.InvariantCulture,
            $"| {macMode} | {cost.CpuPercentOfOneCore:F1} % | {cost.RssKilobytes / 1024.0:F0} MB | {wakeups} | {calls / Window.TotalSeconds:F0} | {top} |");
    }

    internal static bool Wait(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                return false;
            }

            Thread.Sleep(20);
        }

        return true;
    }
}
