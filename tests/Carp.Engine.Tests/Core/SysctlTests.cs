using Carp.Engine.Core;
using Carp.Engine.Hosting;
using static Carp.Engine.Tests.Core.CoreHarness;

namespace Carp.Engine.Tests.Core;

/// <summary>net.inet.carp.* (docs/protocol.md#sysctls) through <see cref="SysctlCatalog"/> and <see cref="CarpNode.SetSysctl"/>.</summary>
public sealed class SysctlTests : IDisposable
{
    private readonly CoreHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public void Catalog_names_the_knobs_of_spec_7_3()
    {
        Assert.Equal(
            ["allow", "preempt", "log", "arpbalance", "suppress_preempt", "demotion", "ifdown_demotion_factor", "senderr_demotion_factor", "dscp"],
            SysctlCatalog.All.Select(d => d.Name));
        Assert.All(SysctlCatalog.All, d => Assert.Equal("net.inet.carp." + d.Name, d.FullName));
        Assert.Equal(["suppress_preempt"], SysctlCatalog.All.Where(d => d.ReadOnly).Select(d => d.Name));
    }

    [Fact]
    public void Defaults_match_the_catalog_and_the_spec()
    {
        Assert.All(SysctlCatalog.All, d =>
        {
            Assert.Equal(d.DefaultValue, SysctlCatalog.Get(CarpSysctls.Default, d));
            Assert.InRange(d.DefaultValue, d.Minimum, d.Maximum);
        });

        var defaults = CarpSysctls.Default;
        Assert.True(defaults.Allow);
        Assert.False(defaults.Preempt);
        Assert.Equal(1, defaults.Log);
        Assert.Equal(0, defaults.Demotion);
        Assert.Equal(240, defaults.IfDownDemotionFactor);
        Assert.Equal(240, defaults.SendErrDemotionFactor);
        Assert.Equal(0x10, defaults.TrafficClass);
        Assert.Same(CarpSysctls.Default, _h.Node.Sysctls);
    }

    [Theory]
    [InlineData("preempt")]
    [InlineData("net.inet.carp.preempt")]
    [InlineData("PREEMPT")]
    [InlineData("Net.Inet.Carp.PreEmpt")]
    public void Names_are_short_or_full_and_case_insensitive(string name)
    {
        var set = _h.Node.SetSysctl(name, 1);

        Assert.True(set.Preempt);
        Assert.Same(set, _h.Node.Sysctls);
        Assert.Equal("preempt", SysctlCatalog.Find(name)!.Name);
    }

    [Theory]
    [InlineData("stats")]
    [InlineData("")]
    [InlineData("net.inet.carp.")]
    [InlineData("net.inet.carp.net.inet.carp.allow")]
    [InlineData("net.inet6.carp.allow")]
    [InlineData("allow ")]
    [InlineData("pre_empt")]
    public void Unknown_name_is_refused_and_nothing_changes(string name)
    {
        var before = _h.Node.Sysctls;

        var e = Assert.Throws<CarpException>(() => _h.Node.SetSysctl(name, 0));

        Assert.Equal(CarpErrorCode.UnknownSysctl, e.Code);
        Assert.Contains("preempt", e.Message, StringComparison.Ordinal);
        Assert.Same(before, _h.Node.Sysctls);
        Assert.Null(SysctlCatalog.Find(name));
    }

    [Theory]
    [InlineData("suppress_preempt")]
    [InlineData("net.inet.carp.SUPPRESS_PREEMPT")]
    public void Suppress_preempt_is_read_only(string name)
    {
        var before = _h.Node.Sysctls;

        var e = Assert.Throws<CarpException>(() => _h.Node.SetSysctl(name, 0));

        Assert.Equal(CarpErrorCode.ReadOnlySysctl, e.Code);
        Assert.Same(before, _h.Node.Sysctls);
        Assert.Equal(CarpErrorCode.ReadOnlySysctl, Assert.Throws<CarpException>(() => SysctlCatalog.Apply(before, name, 1)).Code);
    }

    [Theory]
    [InlineData("allow", 2)]
    [InlineData("allow", -1)]
    [InlineData("allow", long.MaxValue)]
    [InlineData("preempt", 2)]
    [InlineData("log", 8)]
    [InlineData("log", -1)]
    [InlineData("arpbalance", 2)]
    [InlineData("demotion", 241)]
    [InlineData("demotion", -241)]
    [InlineData("demotion", long.MinValue)]
    [InlineData("ifdown_demotion_factor", 241)]
    [InlineData("ifdown_demotion_factor", -1)]
    [InlineData("senderr_demotion_factor", 241)]
    [InlineData("senderr_demotion_factor", -1)]
    [InlineData("dscp", 64)]
    [InlineData("dscp", -1)]
    [InlineData("dscp", 4294967300)] // would wrap to 4 as an int
    public void Out_of_range_value_is_refused_and_the_settings_are_unchanged(string name, long value)
    {
        var host = _h.Add(Config());
        _h.Output.Clear();
        var before = _h.Node.Sysctls;
        var copy = before with { };

        var e = Assert.Throws<CarpException>(() => _h.Node.SetSysctl(name, value));

        Assert.Equal(CarpErrorCode.InvalidSysctlValue, e.Code);
        Assert.Contains(value.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message, StringComparison.Ordinal);
        Assert.Same(before, _h.Node.Sysctls);
        Assert.Equal(copy, before);
        Assert.Equal(CarpState.Backup, host.State);
        Assert.Equal(0, _h.Output.TotalCalls);
        Assert.Equal(CarpErrorCode.InvalidSysctlValue, Assert.Throws<CarpException>(() => SysctlCatalog.Apply(CarpSysctls.Default, name, value)).Code);
    }

    [Theory]
    [InlineData("allow", 0)]
    [InlineData("allow", 1)]
    [InlineData("preempt", 1)]
    [InlineData("log", 0)]
    [InlineData("log", 7)]
    [InlineData("arpbalance", 1)]
    [InlineData("ifdown_demotion_factor", 0)]
    [InlineData("ifdown_demotion_factor", 240)]
    [InlineData("senderr_demotion_factor", 17)]
    [InlineData("dscp", 0)]
    [InlineData("dscp", 63)]
    public void Writable_knob_reads_back_what_was_written(string name, long value)
    {
        var after = SysctlCatalog.Apply(CarpSysctls.Default, "net.inet.carp." + name, value);

        Assert.Equal(value, SysctlCatalog.Get(after, SysctlCatalog.Find(name)!));
        Assert.All(SysctlCatalog.All.Where(d => d.Name != name), d =>
            Assert.Equal(SysctlCatalog.Get(CarpSysctls.Default, d), SysctlCatalog.Get(after, d)));
    }

    [Fact]
    public void Writing_demotion_adds_to_it()
    {
        var s = SysctlCatalog.Apply(CarpSysctls.Default, "demotion", 100);
        s = SysctlCatalog.Apply(s, "demotion", 100);
        Assert.Equal(200, s.Demotion);
        s = SysctlCatalog.Apply(s, "demotion", -50);
        Assert.Equal(150, s.Demotion);
        s = SysctlCatalog.Apply(s, "net.inet.carp.demotion", 240);
        Assert.Equal(390, s.Demotion);
        Assert.Equal(0, CarpSysctls.Default.Demotion);
    }

    [Fact]
    public void Demotion_is_added_to_advskew_and_clamped_to_0_240()
    {
        var host = _h.Add(Config(advSkew: 100));
        Assert.Equal(100, host.AdvertisedAdvSkew);

        (long Write, int Demotion, byte Skew)[] steps =
        [
            (100, 100, 200),
            (100, 200, 240),  // 300 clamped to CARP_MAXSKEW
            (240, 440, 240),
            (-240, 200, 240),
            (-240, -40, 60),
            (-240, -280, 0),  // below zero clamped to 0 (PR 259528)
            (240, -40, 60),
            (40, 0, 100),
        ];
        foreach (var (write, demotion, skew) in steps)
        {
            _h.Node.SetSysctl("demotion", write);
            Assert.Equal(demotion, _h.Node.Sysctls.Demotion);
            Assert.Equal(skew, host.AdvertisedAdvSkew);
        }

        Assert.Equal(
            [(100, 200), (200, 240), (240, 60), (60, 0), (0, 60), (60, 100)],
            _h.Output.DemotionChanges.Select(c => ((int)c.OldAdvertisedAdvSkew, (int)c.NewAdvertisedAdvSkew)));
    }

    [Fact]
    public void Demotion_change_makes_a_master_advertise_the_new_advskew_at_once()
    {
        var host = _h.Add(Config(advSkew: 10));
        _h.RunUntil(3.5);
        Assert.Equal(CarpState.Master, host.State);
        _h.Output.Clear();

        _h.Node.SetSysctl("demotion", 50);

        var sent = Assert.Single(_h.Output.Sent);
        Assert.Equal((byte)60, sent.AdvSkew);
        Assert.Equal(CarpState.Master, host.State);

        // No change in the effective skew, no extra advert.
        _h.Output.Clear();
        _h.Node.SetSysctl("demotion", 0);
        Assert.Empty(_h.Output.Sent);
    }

    [Fact]
    public void Demotion_does_not_change_the_backup_timers_in_the_freebsd_profile()
    {
        // FreeBSD arms master-down with the raw advskew and only sends/compares with the demoted one (docs/protocol.md#preemption).
        var host = _h.Add(Config(advSkew: 0));
        _h.Node.SetSysctl("demotion", 200);

        Assert.Equal(200, host.AdvertisedAdvSkew);
        Assert.Equal(Ts(3), _h.Node.NextDeadline);
    }

    [Theory]
    [InlineData(0, 0x00)]
    [InlineData(4, 0x10)]
    [InlineData(46, 0xB8)]
    [InlineData(56, 0xE0)]
    [InlineData(63, 0xFC)]
    public void Dscp_sets_the_traffic_class(int dscp, byte trafficClass)
    {
        var s = _h.Node.SetSysctl("dscp", dscp);

        Assert.Equal(dscp, s.Dscp);
        Assert.Equal(trafficClass, s.TrafficClass);
        Assert.Equal(trafficClass, _h.Node.Sysctls.TrafficClass);
    }

    [Fact]
    public void Log_and_arpbalance_and_factors_change_no_vhost()
    {
        var host = _h.Add(Config());
        _h.Output.Clear();

        _h.Node.SetSysctl("log", 3);
        _h.Node.SetSysctl("arpbalance", 1);
        _h.Node.SetSysctl("ifdown_demotion_factor", 10);

        Assert.Equal(0, _h.Output.TotalCalls);
        Assert.Equal(CarpState.Backup, host.State);
        Assert.Equal(Ts(3), _h.Node.NextDeadline);
        Assert.Equal(10, _h.Node.Sysctls.IfDownDemotionFactor);
    }

    [Fact]
    public void Node_starts_with_the_sysctls_it_is_given()
    {
        var custom = CarpSysctls.Default with { Preempt = true, Dscp = 56 };
        using var node = new CarpNode(new RecordingOutput(), new Carp.Engine.Simulation.SimulatedTimeProvider(), custom);

        Assert.Same(custom, node.Sysctls);
    }
}
