using System.Collections.Concurrent;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Testbed;

namespace Carp.Network.Tests.Scenarios;

/// <summary>
/// A script tracker on a real LAN (docs/protocol.md#trackers): carpd on n1 is MASTER of carp1 (advskew 0) with
/// <c>track gw script "/usr/bin/test -e …/gw-ok" interval 0.5 fall 2 rise 2 weight 100 carp1</c>; an in-process engine on
/// n2 is BACKUP (advskew 50); preempt is on on both. The file goes: after the fall count carpd advertises advskew 100 at
/// once and n2 preempts within one advert interval. The file comes back: after the rise count carpd's advskew is 0
/// again and it takes carp1 back (preempt) within one advert interval of n2's.
/// </summary>
public sealed class TrackerScenarios
{
    [Fact]
    public void A_failing_script_tracker_hands_mastership_to_the_backup_and_its_recovery_takes_it_back()
    {
        using var s = new Scenario();
        var n1 = s.Node(1);
        var n2 = s.Node(2);
        var okFile = Path.Combine(s.WorkDirectory, "gw-ok");
        File.WriteAllText(okFile, "up\n");
        var config = SecretFile.Write(Path.Combine(s.WorkDirectory, "n1.conf"),
            "net.inet.carp.preempt=1\n" +
            "carp1 vhid 1 carpdev eth0 pass foobar advbase 1 192.0.2.1/24\n" +
            $"track gw script \"/usr/bin/test -e {okFile}\" interval 0.5 timeout 0.5 rise 2 fall 2 weight 100 carp1\n" +
            "metrics listen\n");
        var carpd = CarpdProcess.Start(s, "carpd1", n1.Namespace, config);
        var carpdEvents = new ConcurrentQueue<CarpEvent>();
        using var subscription = carpd.Client.Subscribe(carpdEvents.Enqueue);
        carpd.WaitState(CarpState.Master, TimeSpan.FromSeconds(10));
        Assert.True(Scenario.Eventually(() => carpd.Client.GetTrackers().Single().State == TrackerState.Up, TimeSpan.FromSeconds(5)),
            "the tracker did not come up");

        var backup = s.Engine("engine2", n2.Namespace, CarpSysctls.Default with { Preempt = true });
        backup.Create(new VirtualHostConfig
        {
            Name = "carp1", Vhid = 1, CarpDev = "eth0", AdvSkew = 50, Key = Carp.Engine.Protocol.CarpKey.FromPassphrase("foobar"),
            Addresses = [CarpAddress.Parse("192.0.2.1/24")],
        });
        backup.WaitState(CarpState.Backup, TimeSpan.FromSeconds(3));

        // The check fails: two probes later (fall 2, every 0.5 s) carpd advertises advskew 100 and the backup preempts.
        var failedAt = DateTimeOffset.UtcNow;
        File.Delete(okFile);
        var takeover = backup.WaitState(CarpState.Master, TimeSpan.FromSeconds(5));
        var demoted = WaitFor<CarpDemotionChangedEvent>(carpdEvents, e => e.NewAdvSkew == 100, TimeSpan.FromSeconds(2));
        carpd.WaitState(CarpState.Backup, TimeSpan.FromSeconds(2));
        var fallMs = (demoted.Timestamp - failedAt).TotalMilliseconds;
        var handoverMs = (takeover.Item.Timestamp - demoted.Timestamp).TotalMilliseconds;
        s.Measure($"tracker fall: carpd demoted {fallMs:0} ms after the check began failing (fall 2 × 0.5 s), the backup MASTER {handoverMs:0} ms after the demotion (bound: one advert interval, 1000 ms)");
        Assert.InRange(fallMs, 400, 1600); // the second failed probe: 0.5 to 1 s after the file went, plus a probe's run time
        Assert.InRange(handoverMs, 0, 1000);
        var tracker = carpd.Client.GetTrackers().Single();
        Assert.Equal((TrackerState.Down, 100, "exit 1"), (tracker.State, tracker.Demotion, tracker.LastResult));
        Assert.Equal((100, (byte)100), (carpd.Status().TrackerDemotion, carpd.Status().AdvertisedAdvSkew));
        var down = MetricsScenarios.Scrape(s, n1.Namespace);
        Assert.Equal(0, MetricsScenarios.Value(down, "carp_tracker_up{tracker=\"gw\",interface=\"carp1\"}"));
        Assert.Equal(100, MetricsScenarios.Value(down, "carp_vhost_tracker_demotion{interface=\"carp1\",vhid=\"1\",carpdev=\"eth0\",protocol=\"carp\"}"));

        // The check passes again: after rise 2 carpd advertises advskew 0, and with preempt it takes carp1 back within one
        // advert interval of the master it hears (advbase 1 + 50/256 s).
        var recoveredAt = DateTimeOffset.UtcNow;
        File.WriteAllText(okFile, "up\n");
        var restored = WaitFor<CarpDemotionChangedEvent>(carpdEvents, e => e.NewAdvSkew == 0, TimeSpan.FromSeconds(3));
        var returned = WaitFor<CarpStateChangedEvent>(carpdEvents, e => e.NewState == CarpState.Master && e.Timestamp > restored.Timestamp, TimeSpan.FromSeconds(3));
        backup.WaitState(CarpState.Backup, TimeSpan.FromSeconds(2), since: takeover.At);
        var riseMs = (restored.Timestamp - recoveredAt).TotalMilliseconds;
        var returnMs = (returned.Timestamp - restored.Timestamp).TotalMilliseconds;
        s.Measure($"tracker rise: carpd undemoted {riseMs:0} ms after the check passed again (rise 2 × 0.5 s), MASTER again {returnMs:0} ms later (bound: the backup's advert interval, 1195 ms)");
        Assert.Equal(1, MetricsScenarios.Value(MetricsScenarios.Scrape(s, n1.Namespace), "carp_tracker_up{tracker=\"gw\",interface=\"carp1\"}"));
        Assert.InRange(riseMs, 400, 1600);
        Assert.InRange(returnMs, 0, 1000 + 50 * 1000 / 256.0 + 50);
        Assert.Equal(["carp1"], s.InterfacesWith(n1.Namespace, "192.0.2.1"));
        Assert.True(Scenario.Eventually(() => s.InterfacesWith(n2.Namespace, "192.0.2.1").Length == 0, TimeSpan.FromSeconds(2)), "the backup kept the VIP");
    }

    private static T WaitFor<T>(ConcurrentQueue<CarpEvent> events, Func<T, bool> match, TimeSpan timeout)
        where T : CarpEvent
    {
        T? found = null;
        Assert.True(Scenario.Eventually(() => (found = events.OfType<T>().FirstOrDefault(match)) is not null, timeout, 10),
            $"no {typeof(T).Name} matching within {timeout.TotalSeconds} s");
        return found!;
    }
}
