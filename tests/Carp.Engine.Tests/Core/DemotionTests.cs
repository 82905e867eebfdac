using Carp.Engine.Core;
using static Carp.Engine.Tests.Core.CoreHarness;

namespace Carp.Engine.Tests.Core;

/// <summary>Send-error and carpdev-down demotion (docs/protocol.md#preemption): what the vhost advertises while demoted.</summary>
public sealed class DemotionTests : IDisposable
{
    private readonly CoreHarness _h = new();

    public void Dispose() => _h.Dispose();

    private IEnumerable<byte> SkewsSentAt(Func<RecordingOutput.SentAdvert, bool>? filter = null) =>
        _h.Output.Sent.Where(filter ?? (_ => true)).Select(s => s.AdvSkew);

    [Fact]
    public void Three_consecutive_send_errors_add_senderr_demotion_factor_and_three_successes_remove_it()
    {
        var host = _h.Add(Config());
        _h.Output.SendSucceeds = false;

        _h.RunUntil(4); // MASTER at 3 s: two failed adverts
        Assert.Equal(0, _h.Node.Sysctls.Demotion);
        Assert.Equal(0, host.AdvertisedAdvSkew);
        _h.Output.Clear();

        _h.RunUntil(5); // the third failure demotes; the change is advertised at once (and fails too)

        Assert.Equal(240, _h.Node.Sysctls.Demotion);
        Assert.Equal(240, host.AdvertisedAdvSkew);
        Assert.Equal([(byte)0, (byte)240], SkewsSentAt());
        Assert.Equal(new RecordingOutput.DemotionChange("carp1", 0, 240, 0, 0), Assert.Single(_h.Output.DemotionChanges));
        Assert.Equal(CarpState.Master, host.State);
        _h.Output.Clear();

        _h.Output.SendSucceeds = true;
        _h.RunUntil(7); // two successes: still demoted (docs/protocol.md#preemption: three in a row undo it)
        Assert.Equal(240, _h.Node.Sysctls.Demotion);
        _h.Output.Clear();

        _h.RunUntil(8); // the third success removes the demotion, which is advertised at once

        Assert.Equal(0, _h.Node.Sysctls.Demotion);
        Assert.Equal(0, host.AdvertisedAdvSkew);
        Assert.Equal([(byte)240, (byte)0], SkewsSentAt());
        Assert.Equal(new RecordingOutput.DemotionChange("carp1", 240, 0, 0, 0), Assert.Single(_h.Output.DemotionChanges));
    }

    [Fact]
    public void Send_errors_that_are_not_consecutive_do_not_demote()
    {
        var host = _h.Add(Config());
        _h.Output.SendSucceeds = false;
        _h.RunUntil(4);              // fail, fail
        _h.Output.SendSucceeds = true;
        _h.RunUntil(5);              // success resets the run
        _h.Output.SendSucceeds = false;
        _h.RunUntil(7);              // fail, fail

        Assert.Equal(0, _h.Node.Sysctls.Demotion);
        Assert.Equal(0, host.AdvertisedAdvSkew);
        Assert.Empty(_h.Output.DemotionChanges);
        Assert.Equal(4, _h.Stats.ONoMem);
    }

    [Fact]
    public void Senderr_demotion_uses_the_factor_sysctl_and_is_clamped_to_240_on_every_vhost()
    {
        _h.Node.SetSysctl("senderr_demotion_factor", 100);
        var carp1 = _h.Add(Config(advSkew: 10));
        var carp2 = _h.Add(Config("carp2", vhid: 2, advSkew: 200));
        _h.Output.SendSucceeds = false;

        // carp1 is forced MASTER at 0 s and fails at 0, 1+10/256 and 2×(1+10/256) s; carp2 stays BACKUP until 3+200/256 s.
        _h.Node.Force("carp1", CarpState.Master);
        _h.RunUntil(2.5);

        Assert.Equal(CarpState.Backup, carp2.State);
        Assert.Equal(100, _h.Node.Sysctls.Demotion);
        Assert.Equal(110, carp1.AdvertisedAdvSkew);
        Assert.Equal(240, carp2.AdvertisedAdvSkew); // 200 + 100 clamped to CARP_MAXSKEW
        Assert.Equal((byte)110, _h.Output.Sent[^1].AdvSkew);
    }

    [Fact]
    public void Carpdev_down_demotes_the_other_vhosts_and_up_restores_them()
    {
        var eth1 = _h.Node.AddDevice("eth1", linkUp: true, Eth1V4, Eth1V6);
        var carp1 = _h.Add(Config(advSkew: 20));
        var carp2 = _h.Add(Config("carp2", vhid: 2, device: "eth1"));
        _h.RunUntil(4);
        Assert.Equal(CarpState.Master, carp1.State);
        _h.Output.Clear();

        _h.Node.SetLinkState("eth1", false);

        Assert.Equal(CarpState.Init, carp2.State);
        Assert.Equal(240, _h.Node.Sysctls.Demotion);
        Assert.Equal(240, carp1.AdvertisedAdvSkew);
        Assert.Equal([(byte)240], SkewsSentAt(s => s.Host == "carp1")); // announced at once

        _h.Node.SetLinkState("eth1", true);

        Assert.Equal(CarpState.Backup, carp2.State);
        Assert.Equal(0, _h.Node.Sysctls.Demotion);
        Assert.Equal(20, carp1.AdvertisedAdvSkew);
        Assert.True(eth1.LinkUp);
    }

    [Fact]
    public void Vhost_added_while_its_carpdev_is_down_keeps_the_demotion_balanced()
    {
        _h.Node.AddDevice("eth1", linkUp: false, Eth1V4, Eth1V6);
        var carp1 = _h.Add(Config(advSkew: 100));
        var carp2 = _h.Add(Config("carp2", vhid: 2, device: "eth1"));
        Assert.Equal(CarpState.Init, carp2.State);

        _h.Node.SetLinkState("eth1", true);

        Assert.Equal(CarpState.Backup, carp2.State);
        Assert.Equal(0, _h.Node.Sysctls.Demotion);
        Assert.Equal(100, carp1.AdvertisedAdvSkew);

        _h.Node.SetLinkState("eth1", false);
        _h.Node.RemoveVirtualHost("carp2");

        Assert.Equal(0, _h.Node.Sysctls.Demotion);
        Assert.Equal(100, carp1.AdvertisedAdvSkew);
    }

    [Fact]
    public void Removing_a_vhost_added_on_a_down_carpdev_leaves_demotion_at_zero()
    {
        _h.Node.AddDevice("eth1", linkUp: false, Eth1V4, Eth1V6);
        var carp1 = _h.Add(Config(advSkew: 100));
        _h.Add(Config("carp2", vhid: 2, device: "eth1"));

        _h.Node.RemoveVirtualHost("carp2");

        Assert.Equal(0, _h.Node.Sysctls.Demotion);
        Assert.Equal(100, carp1.AdvertisedAdvSkew);
    }

    [Fact]
    public void Classic_profile_with_preempt_advertises_240_while_any_carpdev_is_down()
    {
        _h.Node.SetSysctl("preempt", 1);
        _h.Node.AddDevice("eth1", linkUp: true, Eth1V4, Eth1V6);
        var carp1 = _h.Add(Config(advSkew: 20, profile: CompatibilityProfile.Classic));
        _h.Add(Config("carp2", vhid: 2, device: "eth1", profile: CompatibilityProfile.Classic));

        _h.Node.SetLinkState("eth1", false);

        Assert.Equal(1, _h.Node.Sysctls.SuppressPreempt);
        Assert.Equal(240, carp1.AdvertisedAdvSkew);
        Assert.Equal(0, _h.Node.Sysctls.Demotion);

        _h.Node.SetLinkState("eth1", true);

        Assert.Equal(0, _h.Node.Sysctls.SuppressPreempt);
        Assert.Equal(20, carp1.AdvertisedAdvSkew);
    }

    [Fact]
    public void Classic_profile_counts_suppression_but_raises_advskew_only_with_preempt_as_the_seed_man_page_says()
    {
        // The issue follows the seed's man page ("with preempt on"), not FreeBSD 7's code, which applied it regardless (docs/protocol.md#preemption).
        _h.Node.AddDevice("eth1", linkUp: true, Eth1V4, Eth1V6);
        var carp1 = _h.Add(Config(advSkew: 20, profile: CompatibilityProfile.Classic));
        _h.Add(Config("carp2", vhid: 2, device: "eth1", profile: CompatibilityProfile.Classic));

        _h.Node.SetLinkState("eth1", false);

        Assert.Equal(1, _h.Node.Sysctls.SuppressPreempt);
        Assert.Equal(20, carp1.AdvertisedAdvSkew);
        _h.Node.SetSysctl("preempt", 1);
        Assert.Equal(240, carp1.AdvertisedAdvSkew);
    }

    [Fact]
    public void OpenBsd_profile_puts_the_demote_count_in_byte_4_and_keeps_advskew()
    {
        var host = _h.Add(Config(advSkew: 20, profile: CompatibilityProfile.OpenBsd));
        _h.RunUntil(3 * (1 + (20 / 256.0)));
        Assert.Equal(CarpState.Master, host.State);
        _h.Output.Clear();

        _h.Node.AdjustDemote("carp1", 3);

        Assert.Equal(3, host.DemoteCount);
        Assert.Equal(20, host.AdvertisedAdvSkew);
        var sent = Assert.Single(_h.Output.Sent);
        Assert.Equal((byte)3, sent.DemoteCount);
        Assert.Equal((byte)20, sent.AdvSkew);
        Assert.Equal(0, _h.Node.Sysctls.Demotion);
    }
}
