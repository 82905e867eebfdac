using System.Collections;

namespace CarpPS.Tests;

/// <summary>-WhatIf changes nothing; a change that forces a failover asks unless -Force.</summary>
public sealed class ShouldProcessTests(ModuleFixture module)
{
    [Theory]
    [InlineData("New-CarpInterface -Name carp2 -Vhid 2 -CarpDev $args[0] -Address 192.0.2.2/24 -WhatIf")]
    [InlineData("Set-CarpInterface carp1 -AdvSkew 50 -WhatIf")]
    [InlineData("Set-CarpInterface carp1 -State Master -Force -WhatIf")]
    [InlineData("Get-CarpInterface | Set-CarpInterface -Vhid 9 -Address 192.0.2.9/24 -Pass new -WhatIf")]
    [InlineData("Remove-CarpInterface carp1 -WhatIf")]
    [InlineData("Remove-CarpInterface carp1 -Force -WhatIf")]
    public void WhatIf_changes_no_interface(string script)
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 10", dev).AssertNoErrors();
        var before = ValidationTests.Snapshot(ps);
        ps.Host.TestUI.Clear();

        var result = ps.Run(script, dev).AssertNoErrors();

        Assert.Empty(result.Output);
        Assert.Contains("What if:", ps.Host.TestUI.Text);
        Assert.Equal(before, ValidationTests.Snapshot(ps));
        Assert.Empty(ps.Host.TestUI.Prompts);
    }

    [Theory]
    [InlineData("Set-CarpSysctl -Preempt $true -Log 2 -WhatIf")]
    [InlineData("Set-CarpSysctl -Name demotion -Value 10 -WhatIf")]
    public void WhatIf_changes_no_sysctl(string script)
    {
        using var ps = new PsSession(module);
        ps.ConnectSimulation();
        var before = ValidationTests.SysctlSnapshot(ps);
        ps.Run(script).AssertNoErrors();
        Assert.Equal(before, ValidationTests.SysctlSnapshot(ps));
    }

    [Fact]
    public void WhatIf_keeps_statistics_and_connections()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 1", dev).AssertNoErrors();
        ps.Run("Wait-CarpState carp1 Master -Timeout 10").AssertNoErrors();
        ps.Run("Reset-CarpStatistics -WhatIf; Disconnect-CarpService -WhatIf; Connect-CarpService -Simulation -CarpDev other0 -WhatIf").AssertNoErrors();
        Assert.True((long)ps.Run("Get-CarpStatistics").Output[0].Properties["OPackets"].Value > 0);
        Assert.Single(ps.Run("Get-CarpInterface").AssertNoErrors().Output);
    }

    [Fact]
    public void Forcing_a_failover_asks_and_a_no_changes_nothing()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 10", dev).AssertNoErrors();
        using var peer = Peer.MasterFor(module, ps, dev);

        ps.Host.TestUI.AnswerYes = false;
        ps.Run("Set-CarpInterface carp1 -State Master").AssertNoErrors();
        Assert.Single(ps.Host.TestUI.Prompts);
        Assert.Equal("Backup", State(ps));

        ps.Host.TestUI.Prompts.Clear();
        ps.Host.TestUI.AnswerYes = true;
        ps.Run("Set-CarpInterface carp1 -State Master").AssertNoErrors();
        Assert.Single(ps.Host.TestUI.Prompts);

        ps.Host.TestUI.Prompts.Clear();
        ps.Run("Set-CarpInterface carp1 -State Master -Force").AssertNoErrors();
        Assert.Empty(ps.Host.TestUI.Prompts);
    }

    [Fact]
    public void Changes_to_a_backup_do_not_ask_and_ConfirmPreference_None_does_not_ask()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 10", dev).AssertNoErrors();
        ps.Run("Set-CarpInterface carp1 -AdvSkew 10; Set-CarpInterface carp1 -Demote 1").AssertNoErrors();
        Assert.Empty(ps.Host.TestUI.Prompts);

        ps.Run("$ConfirmPreference = 'None'; Set-CarpInterface carp1 -State Master").AssertNoErrors();
        Assert.Empty(ps.Host.TestUI.Prompts);
        Assert.Equal("Master", State(ps));
    }

    [Fact]
    public void Confirm_asks_once_through_ShouldProcess()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 10", dev).AssertNoErrors();
        ps.Host.TestUI.AnswerYes = true;
        ps.Command("Set-CarpInterface", new Hashtable { ["Name"] = "carp1", ["State"] = "Master", ["Confirm"] = true }).AssertNoErrors();
        Assert.Single(ps.Host.TestUI.Prompts);
        Assert.Equal("Master", State(ps));
    }

    [Fact]
    public void Set_CarpSysctl_checks_every_setting_before_it_sets_any()
    {
        using var ps = new PsSession(module);
        ps.ConnectSimulation();
        var before = ValidationTests.SysctlSnapshot(ps);
        var result = ps.Command("Set-CarpSysctl", new Hashtable { ["Preempt"] = true, ["Dscp"] = 999 });
        Assert.Equal("InvalidSysctlValue,CarpPS.Commands.SetCarpSysctlCommand", result.SingleError().FullyQualifiedErrorId);
        Assert.NotNull(result.Terminating);
        Assert.Equal(before, ValidationTests.SysctlSnapshot(ps));
        Assert.Empty(ps.Host.TestUI.Prompts);
    }

    [Fact]
    public void Set_CarpSysctl_asks_before_a_change_that_forces_a_failover()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 10", dev).AssertNoErrors();
        Assert.Equal("Backup", State(ps));
        using var peer = Peer.MasterFor(module, ps, dev);
        ps.Host.TestUI.AnswerYes = false;

        foreach (var script in new[] { "Set-CarpSysctl -Demotion 10", "Set-CarpSysctl -Name demotion -Value -5", "Set-CarpSysctl -Preempt $true" })
        {
            ps.Host.TestUI.Prompts.Clear();
            var before = ValidationTests.SysctlSnapshot(ps);
            ps.Run(script).AssertNoErrors();
            Assert.True(ps.Host.TestUI.Prompts.Count == 1, $"{script} asked {ps.Host.TestUI.Prompts.Count} times");
            Assert.Equal(before, ValidationTests.SysctlSnapshot(ps));
        }

        // Changes that move nothing do not ask.
        ps.Host.TestUI.Prompts.Clear();
        ps.Run("Set-CarpSysctl -Log 2 -Allow $true -Demotion 0").AssertNoErrors();
        Assert.Empty(ps.Host.TestUI.Prompts);

        ps.Run("Set-CarpSysctl -Preempt $true -Demotion 10 -Force").AssertNoErrors();
        Assert.Empty(ps.Host.TestUI.Prompts);
        Assert.Equal(1L, (long)ps.Run("Get-CarpSysctl preempt").Output[0].Properties["Value"].Value);
        Assert.Equal(10L, (long)ps.Run("Get-CarpSysctl demotion").Output[0].Properties["Value"].Value);
    }

    [Fact]
    public void Lowering_the_skew_of_a_backup_that_stays_slower_than_its_master_does_not_ask()
    {
        // Asking when the lower skew does beat the master: FailoverPromptTests.A_backup_asks_before_a_lower_advskew_only_when...
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 10 -AdvSkew 100", dev).AssertNoErrors();
        ps.Run("Set-CarpSysctl -Preempt $true -Force").AssertNoErrors();
        Assert.Equal("Backup", State(ps));
        using var peer = Peer.MasterFor(module, ps, dev);
        ps.Host.TestUI.AnswerYes = false;

        // The master advertises every 1 s; advbase 10 → 5 with a lower skew is still far slower: preemption cannot follow.
        foreach (var script in new[] { "Set-CarpInterface carp1 -AdvSkew 50", "Set-CarpInterface carp1 -AdvBase 5" })
        {
            ps.Host.TestUI.Prompts.Clear();
            ps.Run(script).AssertNoErrors();
            Assert.True(ps.Host.TestUI.Prompts.Count == 0, $"{script} asked {ps.Host.TestUI.Prompts.Count} times");
        }

        Assert.Equal((byte)50, ps.Run("Get-CarpInterface carp1").Output[0].Properties["AdvSkew"].Value);
        Assert.Equal((byte)5, ps.Run("Get-CarpInterface carp1").Output[0].Properties["AdvBase"].Value);
        Assert.Equal("Backup", State(ps));

        // Raising the skew of a backup moves nothing.
        ps.Host.TestUI.Prompts.Clear();
        ps.Run("Set-CarpInterface carp1 -AdvSkew 150").AssertNoErrors();
        Assert.Empty(ps.Host.TestUI.Prompts);
    }

    [Theory]
    [InlineData("Medium")]
    [InlineData("Low")]
    public void A_low_ConfirmPreference_asks_a_failover_once(string preference)
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 10", dev).AssertNoErrors();
        ps.Host.TestUI.AnswerYes = true;
        ps.Run("$ConfirmPreference = $args[0]; Set-CarpInterface carp1 -State Master", preference).AssertNoErrors();
        Assert.Single(ps.Host.TestUI.Prompts);
        Assert.Equal("Master", State(ps));
    }

    [Theory]
    [InlineData(256)]
    [InlineData(-256)]
    public void Demote_out_of_range_is_refused_with_a_stable_id(int demote)
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 10", dev).AssertNoErrors();
        var before = ValidationTests.Snapshot(ps);
        var error = ps.Run("Set-CarpInterface carp1 -Demote $args[0] -Force", demote).SingleError();
        Assert.Equal("InvalidDemote,CarpPS.Commands.SetCarpInterfaceCommand", error.FullyQualifiedErrorId);
        Assert.Equal(before, ValidationTests.Snapshot(ps));
    }

    private static string State(PsSession ps) => ps.Run("Get-CarpStatus carp1").Output[0].Properties["State"].Value.ToString()!;
}
