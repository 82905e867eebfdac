using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;

namespace Carp.Network.Tests.Scenarios;

/// <summary>
/// The master goes away in the ways it does in practice: its engine stops without a word, its
/// carpdev loses the link, or the backup cannot authenticate it. The backup must take over after
/// exactly its master-down interval 3 × advbase + advskew/256 (FreeBSD profile).
/// </summary>
public sealed class FailoverScenarios
{
    private const byte BackupSkew = 100;

    /// <summary>B's master-down interval: 3 × 1 s + 100/256 s.</summary>
    private static readonly double MasterDownMs = CarpTiming.MasterDown(MasterDownFormula.ThreeAdvBasePlusSkew, 1, BackupSkew) / 1000.0;

    /// <summary>Takeover may not come earlier than this before the bound (timer and capture jitter)…</summary>
    private const double EarlyToleranceMs = 50;

    /// <summary>…nor later than this after it (event delivery, a loaded 2-core machine).</summary>
    private const double LateMarginMs = 300;

    /// <summary>No bow-out: the engine just stops advertising, as if its host froze or died.</summary>
    private static readonly CompatibilityProfile Silent = CompatibilityProfile.FreeBsd with { BowOut = false };

    private static VirtualHostConfig Config(byte advSkew, string pass = "foobar", CompatibilityProfile? profile = null) => new()
    {
        Name = "carp1",
        Vhid = 1,
        CarpDev = "eth0",
        AdvSkew = advSkew,
        Key = CarpKey.FromPassphrase(pass),
        Addresses = [CarpAddress.Parse("192.0.2.1/24")],
        Profile = profile ?? CompatibilityProfile.FreeBsd,
    };

    private static (EngineNode A, EngineNode B) Elect(Scenario s, CarpSysctls? sysctls = null, CompatibilityProfile? profileA = null)
    {
        var a = s.Engine("A", s.Node(1).Namespace, sysctls);
        a.Create(Config(0, profile: profileA));
        var b = s.Engine("B", s.Node(2).Namespace, sysctls);
        b.Create(Config(BackupSkew));
        a.WaitState(CarpState.Master, TimeSpan.FromSeconds(8));
        Assert.True(Scenario.Eventually(() => b.Stats.IPackets >= 1, TimeSpan.FromSeconds(3)), "B heard no advert of A");
        Assert.Equal(CarpState.Backup, b.State());
        return (a, b);
    }

    private static double CheckTakeover(Scenario s, string label, Stamped<Advert> lastAdvert, Stamped<CarpStateChangedEvent> master)
    {
        double lag = Clock.Ms(lastAdvert.At, master.At);
        s.Measure($"{label}: B MASTER {lag:0.0} ms after A's last advert (bound {MasterDownMs:0.0} ms, allowed -{EarlyToleranceMs}/+{LateMarginMs} ms)");
        Assert.InRange(lag, MasterDownMs - EarlyToleranceMs, MasterDownMs + LateMarginMs);
        return lag;
    }

    [Fact]
    public void Master_dies_backup_takes_over_after_master_down_and_preemption_returns_it()
    {
        using var s = new Scenario();
        var preempt = CarpSysctls.Default with { Preempt = true };
        var watchA = s.Watch(s.Node(1));
        var (a, b) = Elect(s, preempt, Silent);

        long stop = Clock.Now;
        a.Dispose(); // no bow-out: B only notices that adverts stop
        var master = b.WaitState(CarpState.Master, TimeSpan.FromMilliseconds(MasterDownMs + 2000), stop);
        Assert.Equal(TransitionReason.MasterDown, master.Item.Reason);
        var last = watchA.Adverts.Last(_ => true, before: master.At) ?? throw new InvalidOperationException("no advert of A captured");
        Assert.False(last.Item.IsBowOut);
        CheckTakeover(s, "master dies", last, master);
        Assert.True(Scenario.Eventually(() => s.InterfacesWith(b.Namespace, "192.0.2.1").Length == 1, TimeSpan.FromSeconds(1)), "B has no VIP");
        Assert.Empty(s.InterfacesWith(s.Node(1).Namespace, "192.0.2.1"));

        // A comes back: it starts BACKUP, hears B's slower adverts and preempts; B yields.
        long restart = Clock.Now;
        var a2 = s.Engine("A'", s.Node(1).Namespace, preempt);
        a2.Create(Config(0));
        var back = a2.WaitState(CarpState.Master, TimeSpan.FromSeconds(3), restart);
        var yielded = b.WaitState(CarpState.Backup, TimeSpan.FromSeconds(2), restart);
        s.Measure($"preemption: restarted A MASTER {Clock.Ms(restart, back.At):0} ms after its start (B advertises every 1391 ms), B BACKUP {Clock.Ms(restart, yielded.At):0} ms");
        Assert.Equal(TransitionReason.Preempt, back.Item.Reason);
        Assert.Equal(TransitionReason.MoreFrequentMaster, yielded.Item.Reason);
        Assert.True(Scenario.Eventually(() => s.InterfacesWith(b.Namespace, "192.0.2.1").Length == 0, TimeSpan.FromSeconds(1)), "B kept the VIP");
        Assert.Equal(["carp1"], s.InterfacesWith(a2.Namespace, "192.0.2.1"));
    }

    [Fact]
    public void Carpdev_down_on_the_master_hands_over_to_the_backup()
    {
        using var s = new Scenario();
        var watchA = s.Watch(s.Node(1));
        var (a, b) = Elect(s);

        long pulled = Clock.Now;
        s.Net.SetBridgePort(s.Node(1), up: false);
        var init = a.WaitState(CarpState.Init, TimeSpan.FromSeconds(2), pulled);
        Assert.Equal(TransitionReason.CarpDevDown, init.Item.Reason);
        s.Measure($"carpdev down: A INIT {Clock.Ms(pulled, init.At):0.0} ms after its bridge port went down");
        Assert.Empty(s.InterfacesWith(a.Namespace, "192.0.2.1"));

        var master = b.WaitState(CarpState.Master, TimeSpan.FromMilliseconds(MasterDownMs + 2000), pulled);
        var last = watchA.Adverts.Last(_ => true, before: master.At) ?? throw new InvalidOperationException("no advert of A captured");
        CheckTakeover(s, "carpdev down", last, master);

        // Link back: A returns as BACKUP (no preempt) and stays there while B advertises.
        long plugged = Clock.Now;
        s.Net.SetBridgePort(s.Node(1), up: true);
        a.WaitState(CarpState.Backup, TimeSpan.FromSeconds(3), plugged);
        long heard = a.Stats.IPackets;
        Assert.True(Scenario.Eventually(() => a.Stats.IPackets >= heard + 3, TimeSpan.FromSeconds(6)), "A did not hear B after the link came back");
        Assert.Equal(CarpState.Backup, a.State());
        Assert.Equal(CarpState.Master, b.State());
        Assert.Equal(0, a.Status().AdvertisedAdvSkew); // the ifdown demotion was withdrawn
    }

    [Fact]
    public void Wrong_pass_backup_is_not_convinced_counts_badauth_and_takes_over()
    {
        using var s = new Scenario();
        var a = s.Engine("A", s.Node(1).Namespace);
        a.Create(Config(0, "foobar"));
        a.WaitState(CarpState.Master, TimeSpan.FromSeconds(8));

        var b = s.Engine("B", s.Node(2).Namespace);
        b.Create(Config(BackupSkew, "wrongpass"));
        var backup = b.WaitState(CarpState.Backup, TimeSpan.FromSeconds(2));
        var master = b.WaitState(CarpState.Master, TimeSpan.FromMilliseconds(MasterDownMs + 2000), backup.At);
        double ms = Clock.Ms(backup.At, master.At);
        s.Measure($"wrong pass: B MASTER {ms:0.0} ms after entering BACKUP although A advertised every second (bound {MasterDownMs:0.0} ms); B badauth {b.Stats.BadAuth}");
        Assert.Equal(TransitionReason.MasterDown, master.Item.Reason);
        Assert.InRange(ms, MasterDownMs - EarlyToleranceMs, MasterDownMs + LateMarginMs);
        Assert.True(b.Stats.BadAuth >= 3, $"B counted {b.Stats.BadAuth} bad authentications");
        Assert.Null(b.Status().MasterSeen);

        // A rejects B's adverts just the same and stays MASTER (split brain, as with any wrong pass).
        Assert.True(Scenario.Eventually(() => a.Stats.BadAuth >= 1, TimeSpan.FromSeconds(3)), "A counted no bad authentication");
        Assert.Equal(CarpState.Master, a.State());
    }
}
