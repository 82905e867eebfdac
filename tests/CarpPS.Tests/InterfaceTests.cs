using System.Collections;
using System.Management.Automation;

namespace CarpPS.Tests;

public sealed class InterfaceTests(ModuleFixture module)
{
    [Fact]
    public void New_creates_an_interface_that_Get_CarpInterface_and_Get_CarpStatus_show()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        var created = ps.Run("New-CarpInterface -Name carp1 -Vhid 7 -CarpDev $args[0] -Address 192.0.2.100/24, 2001:db8::100/64 -AdvBase 2 -AdvSkew 20 -PassThru", dev)
            .AssertNoErrors();
        var status = Assert.Single(created.Output);
        Assert.Equal("CarpPS.CarpStatus", status.TypeNames[0]);

        var info = Assert.Single(ps.Run("Get-CarpInterface carp1").AssertNoErrors().Output);
        Assert.Equal("CarpPS.CarpInterfaceInfo", info.TypeNames[0]);
        Assert.Equal((byte)7, info.Properties["Vhid"].Value);
        Assert.Equal(dev, info.Properties["CarpDev"].Value);
        Assert.Equal(new[] { "192.0.2.100/24", "2001:db8::100/64" }, (IEnumerable<string>)info.Properties["Address"].Value);
        Assert.Equal((byte)2, info.Properties["AdvBase"].Value);
        Assert.Equal((byte)20, info.Properties["AdvSkew"].Value);
        Assert.Equal("FreeBSD", info.Properties["Profile"].Value);
        Assert.Equal(false, info.Properties["HasPass"].Value);

        var full = Assert.Single(ps.Run("Get-CarpStatus -Name carp1").AssertNoErrors().Output);
        foreach (var property in new[] { "Name", "Vhid", "CarpDev", "State", "Address", "AdvBase", "AdvSkew", "Demotion", "MasterSeen", "LastTransition", "LastTransitionReason", "Transitions" })
        {
            Assert.NotNull(full.Properties[property]);
        }
    }

    [Fact]
    public void Without_PassThru_New_writes_nothing_and_options_reach_the_engine()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        var result = ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.100 -MacMode Real -Profile ucarp -Pass abc", dev).AssertNoErrors();
        Assert.Empty(result.Output);
        var info = Assert.Single(ps.Run("Get-CarpInterface").Output);
        Assert.Equal("Real", info.Properties["MacMode"].Value.ToString());
        Assert.Equal("ucarp", info.Properties["Profile"].Value);
        Assert.Equal(true, info.Properties["HasPass"].Value);
        Assert.Equal(new[] { "192.0.2.100/32" }, (IEnumerable<string>)info.Properties["Address"].Value);
    }

    [Fact]
    public void Get_filters_by_wildcard_and_reports_missing_literal_names()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("""
            New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24
            New-CarpInterface -Name carp2 -Vhid 2 -CarpDev $args[0] -Address 192.0.2.2/24
            New-CarpInterface -Name lan9 -Vhid 9 -CarpDev $args[0] -Address 192.0.2.9/24
            """, dev).AssertNoErrors();

        Assert.Equal(["carp1", "carp2"], ps.Run("Get-CarpInterface carp*").Output.Select(o => o.Properties["Name"].Value));
        Assert.Equal(3, ps.Run("Get-CarpStatus").Output.Count);
        Assert.Empty(ps.Run("Get-CarpInterface nomatch*").AssertNoErrors().Output);

        var missing = ps.Run("Get-CarpInterface carp1, nosuch");
        Assert.Single(missing.Output);
        var error = missing.SingleError();
        Assert.Equal("InterfaceNotFound,CarpPS.Commands.GetCarpInterfaceCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        Assert.Equal("nosuch", error.TargetObject);
    }

    [Fact]
    public void Pipeline_Get_CarpInterface_to_Set_CarpInterface_binds_Name_by_property()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("""
            New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 10
            New-CarpInterface -Name carp2 -Vhid 2 -CarpDev $args[0] -Address 192.0.2.2/24 -AdvBase 10
            """, dev).AssertNoErrors();

        var result = ps.Run("Get-CarpInterface | Set-CarpInterface -AdvSkew 100 -PassThru").AssertNoErrors();
        Assert.Equal(2, result.Output.Count);
        Assert.All(ps.Run("Get-CarpInterface").Output, o => Assert.Equal((byte)100, o.Properties["AdvSkew"].Value));
        // Only Name binds from the piped object: the vhids stay as they were.
        Assert.Equal(new byte[] { 1, 2 }, ps.Run("Get-CarpStatus").Output.Select(o => (byte)o.Properties["Vhid"].Value));
    }

    [Fact]
    public void Set_changes_settings_and_Demote_adjusts_the_demotion()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 10", dev).AssertNoErrors();
        var updated = Assert.Single(ps.Run("Set-CarpInterface carp1 -AdvBase 3 -Vhid 9 -Address 192.0.2.9/24, 192.0.2.10/24 -Profile OpenBSD -PassThru").AssertNoErrors().Output);
        Assert.Equal((byte)3, updated.Properties["AdvBase"].Value);
        Assert.Equal((byte)9, updated.Properties["Vhid"].Value);
        Assert.Equal(new[] { "192.0.2.9/24", "192.0.2.10/24" }, (IEnumerable<string>)updated.Properties["Address"].Value);
        Assert.Equal("OpenBSD", updated.Properties["Profile"].Value);
    }

    [Fact]
    public void Set_with_nothing_to_change_is_a_terminating_InvalidArgument()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24", dev).AssertNoErrors();
        var result = ps.Command("Set-CarpInterface", new Hashtable { ["Name"] = "carp1" });
        Assert.NotNull(result.Terminating);
        Assert.Equal("InvalidArgument,CarpPS.Commands.SetCarpInterfaceCommand", result.SingleError().FullyQualifiedErrorId);
    }

    [Fact]
    public void Remove_destroys_named_and_piped_interfaces()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("""
            New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 10
            New-CarpInterface -Name carp2 -Vhid 2 -CarpDev $args[0] -Address 192.0.2.2/24 -AdvBase 10
            New-CarpInterface -Name carp3 -Vhid 3 -CarpDev $args[0] -Address 192.0.2.3/24 -AdvBase 10
            """, dev).AssertNoErrors();
        ps.Run("Remove-CarpInterface carp1").AssertNoErrors();
        ps.Run("'carp2' | Remove-CarpInterface").AssertNoErrors();
        Assert.Equal(["carp3"], ps.Run("Get-CarpInterface").Output.Select(o => o.Properties["Name"].Value));
        ps.Run("Get-CarpInterface | Remove-CarpInterface").AssertNoErrors();
        Assert.Empty(ps.Run("Get-CarpInterface").Output);

        var missing = ps.Run("Remove-CarpInterface carp1");
        Assert.Equal("InterfaceNotFound,CarpPS.Commands.RemoveCarpInterfaceCommand", missing.SingleError().FullyQualifiedErrorId);
    }

    [Fact]
    public void Two_sessions_on_one_simulated_carpdev_behave_like_two_firewalls()
    {
        // The seed's example: firewall 2 has advskew 128, so firewall 1 is master.
        using var ps = new PsSession(module);
        var dev = PsSession.UniqueCarpDev();
        var result = ps.Run("""
            param($dev)
            $fw1 = Connect-CarpService -Simulation -CarpDev $dev -PassThru
            $fw2 = Connect-CarpService -Simulation -CarpDev $dev -PassThru
            Set-CarpSysctl -Session $fw1 -Preempt $true
            Set-CarpSysctl -Session $fw2 -Preempt $true
            New-CarpInterface -Session $fw1 -Name carp1 -Vhid 1 -CarpDev $dev -Pass lanpasswd -Address 192.0.2.100/24
            New-CarpInterface -Session $fw2 -Name carp1 -Vhid 1 -CarpDev $dev -Pass lanpasswd -Address 192.0.2.100/24 -AdvSkew 128
            Wait-CarpState -Session $fw1 -Name carp1 -State Master -Timeout 10
            $deadline = [DateTime]::UtcNow.AddSeconds(10)
            while (-not (Get-CarpStatus -Session $fw2 -Name carp1).MasterSeen -and [DateTime]::UtcNow -lt $deadline) { [Threading.Thread]::Sleep(100) }
            Get-CarpStatus -Session $fw2 -Name carp1
            Get-CarpStatistics -Session $fw2
            Remove-CarpInterface -Session $fw1 -Name carp1 -Force
            Wait-CarpState -Session $fw2 -Name carp1 -State Master -Timeout 2
            """, dev).AssertNoErrors();
        Assert.Equal(4, result.Output.Count);
        Assert.Equal("Master", result.Output[0].Properties["State"].Value.ToString());
        Assert.Equal("Backup", result.Output[1].Properties["State"].Value.ToString());
        Assert.NotNull(result.Output[1].Properties["MasterSeen"].Value);
        // Same pass on both: firewall 2 accepts firewall 1's advertisements.
        Assert.True((long)result.Output[2].Properties["IPackets"].Value > 0);
        Assert.Equal(0L, result.Output[2].Properties["BadAuth"].Value);
        // Firewall 1 bows out when removed: firewall 2 takes over at once (within 2 s, less than the 3 s master-down
        // interval); with preempt on, the bow-out's advbase 255 counts as a less frequent master.
        Assert.Contains(result.Output[3].Properties["LastTransitionReason"].Value.ToString(), new[] { "Preempt", "MasterWillTimeOut" });
    }
}
