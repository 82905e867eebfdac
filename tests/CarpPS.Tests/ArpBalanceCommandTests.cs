using System.Management.Automation;

namespace CarpPS.Tests;

/// <summary>ARP balancing from the cmdlets (docs/protocol.md#arp-balancing): the set in Get-CarpStatus, and the Real MAC mode refusal.</summary>
public sealed class ArpBalanceCommandTests(ModuleFixture module)
{
    [Fact]
    public void Get_CarpStatus_shows_the_balancing_set_and_which_vhid_this_node_answers_for()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("Set-CarpSysctl -ArpBalance $true").AssertNoErrors();
        ps.Run("New-CarpInterface -Name carp0 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.10/24", dev).AssertNoErrors();
        ps.Run("New-CarpInterface -Name carp1 -Vhid 2 -CarpDev $args[0] -Address 192.0.2.10/24 -AdvSkew 100 -WarningAction SilentlyContinue", dev).AssertNoErrors();
        ps.Run("New-CarpInterface -Name carp5 -Vhid 5 -CarpDev $args[0] -Address 192.0.2.50/24", dev).AssertNoErrors();
        ps.Run("$null = Wait-CarpState -Name carp0 -State Master -Timeout 10").AssertNoErrors();

        Assert.Equal("1, 2", Text(ps, "(Get-CarpStatus -Name carp0).BalancingSet.ToString()"));
        Assert.Equal("True", Text(ps, "(Get-CarpStatus -Name carp0).AnswersArp"));
        Assert.Equal("", Text(ps, "(Get-CarpStatus -Name carp5).BalancingSet.ToString()"));
        Assert.Equal("False", Text(ps, "(Get-CarpStatus -Name carp5).AnswersArp"));

        // Off: still a set (the same address on two vhids), but nobody answers by the hash.
        ps.Run("Set-CarpSysctl -ArpBalance $false").AssertNoErrors();
        Assert.Equal("False", Text(ps, "(Get-CarpStatus -Name carp0).AnswersArp"));
    }

    [Fact]
    public void A_real_mac_interface_in_a_set_is_refused_with_advice_and_nothing_changes()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("Set-CarpSysctl -ArpBalance $true").AssertNoErrors();
        ps.Run("New-CarpInterface -Name carp0 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.10/24", dev).AssertNoErrors();

        var error = ps.Run("New-CarpInterface -Name carp1 -Vhid 2 -CarpDev $args[0] -Address 192.0.2.10/24 -MacMode Real -WarningAction SilentlyContinue", dev).SingleError();
        Assert.Equal("ArpBalanceNeedsVirtualMac,CarpPS.Commands.NewCarpInterfaceCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidOperation, error.CategoryInfo.Category);
        Assert.Contains("-MacMode Virtual", error.ErrorDetails.RecommendedAction, StringComparison.Ordinal);
        Assert.Single(ps.Run("Get-CarpInterface").Output);

        // A Real MAC mode interface of its own address may not move into the set either.
        ps.Run("New-CarpInterface -Name carp1 -Vhid 2 -CarpDev $args[0] -Address 192.0.2.20/24 -MacMode Real", dev).AssertNoErrors();
        var moved = ps.Run("Set-CarpInterface -Name carp1 -Address 192.0.2.10/24 -Force -WarningAction SilentlyContinue").SingleError();
        Assert.StartsWith("ArpBalanceNeedsVirtualMac,", moved.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal("192.0.2.20/24", Text(ps, "(Get-CarpInterface -Name carp1).Address.ToString()"));
    }

    private static string Text(PsSession ps, string script) => string.Concat(ps.Run(script).AssertNoErrors().Output.Select(o => o?.ToString()));
}
