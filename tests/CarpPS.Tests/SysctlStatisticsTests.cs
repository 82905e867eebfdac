using Carp.Engine.Core;

namespace CarpPS.Tests;

public sealed class SysctlStatisticsTests(ModuleFixture module)
{
    [Fact]
    public void Get_CarpSysctl_lists_every_sysctl_with_its_value_and_filters_by_name()
    {
        using var ps = new PsSession(module);
        ps.ConnectSimulation();
        var all = ps.Run("Get-CarpSysctl").AssertNoErrors().Output;
        Assert.Equal(SysctlCatalog.All.Select(d => d.Name), all.Select(o => (string)o.Properties["Name"].Value));
        Assert.All(all, o => Assert.Equal("CarpPS.CarpSysctl", o.TypeNames[0]));

        var preempt = Assert.Single(ps.Run("Get-CarpSysctl net.inet.carp.preempt").AssertNoErrors().Output);
        Assert.Equal(0L, preempt.Properties["Value"].Value);
        Assert.Equal(2, ps.Run("Get-CarpSysctl *demotion_factor").Output.Count);
        Assert.Equal("UnknownSysctl,CarpPS.Commands.GetCarpSysctlCommand", ps.Run("Get-CarpSysctl nosuch").SingleError().FullyQualifiedErrorId);
    }

    [Fact]
    public void Set_CarpSysctl_by_name_and_by_parameter()
    {
        using var ps = new PsSession(module);
        ps.ConnectSimulation();
        ps.Run("Set-CarpSysctl -Name preempt -Value 1").AssertNoErrors();
        Assert.Equal(1L, Value(ps, "preempt"));
        ps.Run("Set-CarpSysctl -Preempt $false -Log 2 -Allow $true -ArpBalance $true -Dscp 46 -IfDownDemotionFactor 100 -SendErrDemotionFactor 50").AssertNoErrors();
        Assert.Equal(0L, Value(ps, "preempt"));
        Assert.Equal(2L, Value(ps, "log"));
        Assert.Equal(1L, Value(ps, "arpbalance"));
        Assert.Equal(46L, Value(ps, "dscp"));
        Assert.Equal(100L, Value(ps, "ifdown_demotion_factor"));
        Assert.Equal(50L, Value(ps, "senderr_demotion_factor"));

        // Writing demotion adds, as on FreeBSD.
        ps.Run("Set-CarpSysctl -Demotion 10 -Force; Set-CarpSysctl -Demotion 5 -Force").AssertNoErrors();
        Assert.Equal(15L, Value(ps, "demotion"));

        var passThru = ps.Run("Set-CarpSysctl -Name log -Value 1 -PassThru").AssertNoErrors();
        Assert.Equal(1L, Assert.Single(passThru.Output).Properties["Value"].Value);
        ps.Run("Get-CarpSysctl log | Set-CarpSysctl -Value 0").AssertNoErrors();
        Assert.Equal(0L, Value(ps, "log"));
    }

    [Fact]
    public void Every_writable_sysctl_has_a_Set_CarpSysctl_parameter()
    {
        using var ps = new PsSession(module);
        var parameters = ps.Run("(Get-Command Set-CarpSysctl).Parameters.Keys").Output.Select(o => o.ToString()!.ToUpperInvariant()).ToHashSet();
        foreach (var descriptor in SysctlCatalog.All.Where(d => !d.ReadOnly))
        {
            Assert.Contains(descriptor.Name.Replace("_", "").ToUpperInvariant(), parameters);
        }

        Assert.DoesNotContain("SUPPRESSPREEMPT", parameters);
    }

    [Fact]
    public void Statistics_count_advertisements_and_reset_to_zero()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24", dev).AssertNoErrors();
        ps.Run("Wait-CarpState carp1 -State Master -Timeout 10").AssertNoErrors();
        var stats = Assert.Single(ps.Run("Get-CarpStatistics").AssertNoErrors().Output);
        Assert.Equal("CarpPS.CarpStatisticsInfo", stats.TypeNames[0]);
        Assert.True((long)stats.Properties["OPackets"].Value > 0);

        ps.Run("Set-CarpInterface carp1 -State Backup -Force; Reset-CarpStatistics").AssertNoErrors();
        var reset = Assert.Single(ps.Run("Get-CarpStatistics").Output);
        Assert.True((long)reset.Properties["OPackets"].Value <= 1, "the counters were not reset");
    }

    private static long Value(PsSession ps, string name) => (long)ps.Run("Get-CarpSysctl $args[0]", name).AssertNoErrors().Output[0].Properties["Value"].Value;
}
