using System.Collections;

namespace CarpPS.Tests;

/// <summary>A simulated peer firewall: another engine, in another runspace, on the same simulated carpdev.</summary>
internal static class Peer
{
    /// <summary>
    /// Starts a peer that becomes MASTER of vhid 1 with <paramref name="address"/> (advbase 1), then waits until
    /// <paramref name="ps"/>'s carp1 has heard it (MasterSeen). carp1 must be BACKUP with a longer interval.
    /// </summary>
    public static PsSession MasterFor(ModuleFixture module, PsSession ps, string dev, string address = "192.0.2.1/24")
    {
        var peer = new PsSession(module);
        peer.Run("Connect-CarpService -Simulation -CarpDev $args[0]", dev).AssertNoErrors();
        peer.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address $args[1] -AdvBase 1; Wait-CarpState carp1 Master -Timeout 10",
            dev, address).AssertNoErrors();
        Assert.True(SpinWait.SpinUntil(() => Heard(ps), TimeSpan.FromSeconds(10)), "carp1 never heard the peer master");
        return peer;
    }

    public static bool Heard(PsSession ps) =>
        ps.Run("[bool](Get-CarpStatus carp1).MasterSeen").Output is [{ BaseObject: true }];
}

/// <summary>
/// Issue 10, item 1: a change asks "Confirm failover" only when a failover can really follow; a host that cannot ask gets
/// FailoverConfirmationRequired instead of PowerShell's generic prompt error.
/// </summary>
public sealed class FailoverPromptTests(ModuleFixture module)
{
    [Fact]
    public void Copy_pasted_examples_on_a_lone_node_do_not_ask_even_non_interactive()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Host.TestUI.NonInteractive = true;
        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24", dev).AssertNoErrors();
        ps.Run("Set-CarpSysctl -Preempt $true").AssertNoErrors();
        ps.Run("Wait-CarpState carp1 Master -Timeout 10").AssertNoErrors();
        ps.Run("Get-CarpInterface | Set-CarpInterface -AdvSkew 100").AssertNoErrors();
        ps.Run("Set-CarpSysctl -Demotion 10 -WarningAction SilentlyContinue").AssertNoErrors();

        Assert.Empty(ps.Host.TestUI.Prompts);
        Assert.Equal((byte)100, ps.Run("Get-CarpInterface carp1").Output[0].Properties["AdvSkew"].Value);
        Assert.Equal(1L, (long)ps.Run("Get-CarpSysctl preempt").Output[0].Properties["Value"].Value);
    }

    [Fact]
    public void A_master_asks_only_when_it_gives_mastership_up()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24", dev).AssertNoErrors();
        ps.Run("Wait-CarpState carp1 Master -Timeout 10").AssertNoErrors();
        ps.Host.TestUI.AnswerYes = false;

        ps.Run("Set-CarpInterface carp1 -AdvBase 2 -AdvSkew 10 -Demote 1").AssertNoErrors();
        Assert.Empty(ps.Host.TestUI.Prompts);

        foreach (var script in new[] { "Set-CarpInterface carp1 -State Backup", "Set-CarpInterface carp1 -Vhid 7", "Remove-CarpInterface carp1", "Set-CarpSysctl -Allow $false" })
        {
            ps.Host.TestUI.Prompts.Clear();
            var before = Snap(ps);
            ps.Run(script).AssertNoErrors();
            Assert.True(ps.Host.TestUI.Prompts.Count == 1, $"{script} asked {ps.Host.TestUI.Prompts.Count} times");
            Assert.Equal(before, Snap(ps));
        }
    }

    [Fact]
    public void A_backup_that_hears_a_peer_master_asks_and_a_non_interactive_host_gets_FailoverConfirmationRequired()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 10", dev).AssertNoErrors();
        using var peer = Peer.MasterFor(module, ps, dev);
        ps.Host.TestUI.AnswerYes = false;

        foreach (var script in new[] { "Set-CarpSysctl -Preempt $true", "Set-CarpInterface carp1 -State Master", "Set-CarpSysctl -Demotion -5" })
        {
            ps.Host.TestUI.Prompts.Clear();
            var before = Snap(ps);
            ps.Run(script).AssertNoErrors();
            Assert.True(ps.Host.TestUI.Prompts.Count == 1, $"{script} asked {ps.Host.TestUI.Prompts.Count} times");
            Assert.Equal(before, Snap(ps));
        }

        ps.Host.TestUI.Prompts.Clear();
        ps.Host.TestUI.NonInteractive = true;
        foreach (var (script, target) in new[] { ("Set-CarpSysctl -Preempt $true", "net.inet.carp.preempt"), ("Set-CarpInterface carp1 -State Master", "carp1") })
        {
            var before = Snap(ps);
            var error = ps.Run(script).SingleError();
            Assert.StartsWith("FailoverConfirmationRequired,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
            Assert.Contains("-Force", error.ErrorDetails.RecommendedAction, StringComparison.Ordinal);
            Assert.DoesNotContain("Read and Prompt", error.ErrorDetails.Message, StringComparison.Ordinal);
            Assert.Equal(target, error.TargetObject);
            Assert.Equal(before, Snap(ps));
        }

        // -Force needs no question.
        ps.Run("Set-CarpSysctl -Preempt $true -Force").AssertNoErrors();
        Assert.Empty(ps.Host.TestUI.Prompts);
    }

    [Fact]
    public void A_backup_asks_before_a_lower_advskew_only_when_it_would_then_advertise_faster_than_the_master_it_hears()
    {
        // The README's "Get-CarpInterface carp1 | Set-CarpInterface -AdvSkew 100" on the seed's second firewall (advskew 128),
        // here against a master at advskew 50.
        using var peer = new PsSession(module);
        var dev = peer.ConnectSimulation()[0];
        peer.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvSkew 50; Wait-CarpState carp1 Master -Timeout 10", dev)
            .AssertNoErrors();
        using var ps = new PsSession(module);
        ps.Run("Connect-CarpService -Simulation -CarpDev $args[0]; Set-CarpSysctl -Preempt $true", dev).AssertNoErrors();
        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvSkew 128", dev).AssertNoErrors();
        Assert.True(SpinWait.SpinUntil(() => Peer.Heard(ps), TimeSpan.FromSeconds(10)), "carp1 never heard the peer master");
        ps.Host.TestUI.NonInteractive = true;

        foreach (var skew in new[] { 100, 50 })
        {
            ps.Run($"Get-CarpInterface carp1 | Set-CarpInterface -AdvSkew {skew}").AssertNoErrors();
            Assert.Equal((byte)skew, ps.Run("Get-CarpInterface carp1").Output[0].Properties["AdvSkew"].Value);
            Assert.Equal("Backup", ps.Run("(Get-CarpStatus carp1).State").Output[0].ToString());
        }

        // Faster than the master: with preempt on this is a takeover, so a host that cannot ask refuses.
        var before = Snap(ps);
        var error = ps.Run("Get-CarpInterface carp1 | Set-CarpInterface -AdvSkew 49").SingleError();
        Assert.StartsWith("FailoverConfirmationRequired,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal(before, Snap(ps));
    }

    [Fact]
    public void A_master_asks_before_a_higher_advskew_only_when_it_advertises_worse_than_the_peer_it_heard()
    {
        using var peer = new PsSession(module);
        var dev = peer.ConnectSimulation()[0];
        peer.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvSkew 128; Wait-CarpState carp1 Master -Timeout 10", dev)
            .AssertNoErrors();
        using var ps = new PsSession(module);
        ps.Run("Connect-CarpService -Simulation -CarpDev $args[0]; Set-CarpSysctl -Preempt $true", dev).AssertNoErrors();
        // This node preempts the peer (advskew 0 against 128), and so has heard it.
        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24; Wait-CarpState carp1 Master -Timeout 10", dev).AssertNoErrors();
        Assert.True(Peer.Heard(ps));
        ps.Host.TestUI.AnswerYes = false;

        ps.Run("Set-CarpInterface carp1 -AdvSkew 100").AssertNoErrors();
        Assert.Empty(ps.Host.TestUI.Prompts);
        Assert.Equal((byte)100, ps.Run("Get-CarpInterface carp1").Output[0].Properties["AdvSkew"].Value);

        var before = Snap(ps);
        ps.Run("Set-CarpInterface carp1 -AdvSkew 200").AssertNoErrors();
        Assert.Single(ps.Host.TestUI.Prompts);
        Assert.Equal(before, Snap(ps));
    }

    [Fact]
    public void Confirm_false_answers_the_failover_question()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24", dev).AssertNoErrors();
        ps.Run("Wait-CarpState carp1 Master -Timeout 10").AssertNoErrors();
        ps.Host.TestUI.NonInteractive = true;
        ps.Command("Set-CarpInterface", new Hashtable { ["Name"] = "carp1", ["State"] = "Backup", ["Confirm"] = false }).AssertNoErrors();
        Assert.Equal("Backup", ps.Run("Get-CarpStatus carp1").Output[0].Properties["State"].Value.ToString());
    }

    /// <summary>The interfaces (with their states) and the sysctls, as one string.</summary>
    internal static string Snap(PsSession ps) =>
        ValidationTests.Snapshot(ps) + " | " + string.Join(",", ps.Run("Get-CarpStatus").Output.Select(o => o.Properties["State"].Value)) +
        " | " + ValidationTests.SysctlSnapshot(ps);
}
