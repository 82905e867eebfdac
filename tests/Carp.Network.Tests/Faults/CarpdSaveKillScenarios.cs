using System.Diagnostics;
using Carp.Control;
using Carp.Engine.Hosting;
using Carp.Network.Tests.Scenarios;

namespace Carp.Network.Tests.Faults;

/// <summary>
/// carpd SIGKILLed at random moments around a save of its configuration file (an advskew change makes
/// PersistingCarpService rewrite it), 50 times: the file is always there and is byte for byte either the
/// configuration before the change or the one after it, and carpd starts from it again.
/// </summary>
public sealed class CarpdSaveKillScenarios
{
    private const int Rounds = 50;

    [Fact]
    public void Sigkill_around_a_save_leaves_the_old_or_the_new_file_never_a_torn_or_missing_one()
    {
        using var s = new Scenario(nodes: 1);
        string ns = s.Node(1).Namespace;
        string conf = CarpdProcess.WriteConfig(s, "carpd.conf", 0);

        // The file as carpd saves it for each advskew the rounds alternate between.
        var known = new Dictionary<byte, byte[]> { [0] = File.ReadAllBytes(conf) };
        var first = Start(s, ns, conf, "carpd-warm");
        // The first call of a fresh carpd (every round's is one) runs cold: its length sets the window of the kills.
        double callMs = 0;
        Assert.Equal(0, first.Status().AdvSkew); // as in every round: one status call, then the change
        foreach (byte skew in new byte[] { 10, 20 })
        {
            long t = Clock.Now;
            first.Client.SetInterface("carp1", new InterfaceChange { AdvSkew = skew });
            callMs = callMs == 0 ? Clock.Ms(t, Clock.Now) : callMs;
            known[skew] = File.ReadAllBytes(conf);
        }

        Assert.NotEqual(known[10], known[20]);
        Kill(s, first);
        s.Log("test", $"a save call takes {callMs:0.0} ms");

        // Kills fall uniformly in [0, 2 × saveAtMs]; saveAtMs moves towards the moment the save happens (as many kills before as after it).
        double saveAtMs = callMs;
        double minWindow = double.MaxValue, maxWindow = 0;
        byte current = 20;
        int keptOld = 0, gotNew = 0;
        var random = new Random();
        for (int round = 0; round < Rounds; round++)
        {
            var carpd = Start(s, ns, conf, "carpd" + round);
            minWindow = Math.Min(minWindow, 2 * saveAtMs);
            maxWindow = Math.Max(maxWindow, 2 * saveAtMs);
            Assert.Equal(current, carpd.Status().AdvSkew); // it loaded what the file holds
            byte next = current == 10 ? (byte)20 : (byte)10;
            double delayMs = random.NextDouble() * 2 * saveAtMs;
            var call = new Thread(() =>
            {
                try
                {
                    carpd.Client.SetInterface("carp1", new InterfaceChange { AdvSkew = next });
                }
                catch (Exception)
                {
                    // killed under the call: expected
                }
            }) { IsBackground = true };
            call.Start();
            long spinUntil = Clock.After(Clock.Now, TimeSpan.FromMilliseconds(delayMs));
            while (Clock.Now < spinUntil)
            {
                Thread.SpinWait(20); // the random moment of the kill, not a synchronisation
            }

            Kill(s, carpd);
            Assert.True(call.Join(TimeSpan.FromSeconds(15)), "the control call never returned after the kill");

            Assert.True(File.Exists(conf), $"round {round}: the configuration file is missing after SIGKILL {delayMs:0.00} ms into a save");
            byte[] now = File.ReadAllBytes(conf);
            if (now.AsSpan().SequenceEqual(known[current]))
            {
                keptOld++;
                saveAtMs *= 1.1; // killed before the save: aim later
            }
            else if (now.AsSpan().SequenceEqual(known[next]))
            {
                gotNew++;
                current = next;
                saveAtMs *= 0.9; // killed after it: aim earlier
            }
            else
            {
                Assert.Fail($"round {round}: SIGKILL {delayMs:0.00} ms into a save left a file that is neither the old nor the new configuration ({now.Length} bytes)");
            }
        }

        // Started once more: it reads the last file and removes what an interrupted save left.
        var last = Start(s, ns, conf, "carpd-last");
        Assert.Equal(current, last.Status().AdvSkew);
        Assert.True(Scenario.Eventually(() => Directory.EnumerateFiles(Path.GetDirectoryName(conf)!, ".carpd.conf.*.tmp").Any() == false,
            TimeSpan.FromSeconds(2)), "temporary files of interrupted saves were not removed");
        Kill(s, last);
        s.Measure($"carpd SIGKILL around a save, {Rounds} rounds (kill 0 to {minWindow:0}–{maxWindow:0} ms after the call starts, a save call takes {callMs:0.0} ms when nothing kills it): " +
                  $"old file {keptOld}, new file {gotNew}, torn or missing 0");
        Assert.True(keptOld > 0 && gotNew > 0, $"the kills did not straddle the save (old {keptOld}, new {gotNew})");
    }

    private static CarpdProcess Start(Scenario s, string ns, string conf, string label) => CarpdProcess.Start(s, label, ns, conf);

    private static void Kill(Scenario s, CarpdProcess carpd)
    {
        s.Log("test", $"SIGKILL PID {carpd.Process.Id}");
        carpd.Process.Kill();
        Assert.True(carpd.Process.WaitForExit(5000), "carpd did not die");
        carpd.Dispose();
    }
}
