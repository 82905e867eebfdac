namespace CarpPS.Tests;

/// <summary>Suspend-CarpInterface and Resume-CarpInterface (docs/protocol.md#maintenance) against the in-memory LAN.</summary>
public sealed class MaintenanceCommandTests(ModuleFixture module)
{
    private static string Text(PsSession ps, string script) => string.Join(',', ps.Run(script).Output.Select(o => o.ToString()));

    [Fact]
    public void Suspending_a_master_asks_and_a_non_interactive_host_gets_FailoverConfirmationRequired_and_Force_hands_over()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24; Wait-CarpState carp1 Master -Timeout 10", dev).AssertNoErrors();
        ps.Host.TestUI.AnswerYes = false;

        ps.Run("Suspend-CarpInterface carp1").AssertNoErrors();
        Assert.Single(ps.Host.TestUI.Prompts);
        Assert.Equal("False", Text(ps, "(Get-CarpStatus carp1).Maintenance"));

        ps.Host.TestUI.NonInteractive = true;
        var error = ps.Run("Suspend-CarpInterface carp1").SingleError();
        Assert.StartsWith("FailoverConfirmationRequired,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal("Master", Text(ps, "(Get-CarpStatus carp1).State"));

        var status = ps.Run("Suspend-CarpInterface carp1 -Force -PassThru").AssertNoErrors().Output.Single();
        Assert.Equal(true, status.Properties["Maintenance"].Value);
        Assert.Equal("Backup", status.Properties["State"].Value.ToString());
        Assert.Equal("Suspended", Text(ps, "(Get-CarpStatus carp1).LastTransitionReason"));
        // Strict: no master heard, yet it stays BACKUP past its master-down interval.
        Thread.Sleep(TimeSpan.FromSeconds(3.5));
        Assert.Equal("Backup", Text(ps, "(Get-CarpStatus carp1).State"));
    }

    [Fact]
    public void WhatIf_changes_nothing_and_wildcards_and_All_select_interfaces()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("""
            New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 10
            New-CarpInterface -Name carp2 -Vhid 2 -CarpDev $args[0] -Address 192.0.2.2/24 -AdvBase 10
            New-CarpInterface -Name wan1 -Vhid 3 -CarpDev $args[0] -Address 192.0.2.3/24 -AdvBase 10
            """, dev).AssertNoErrors();

        ps.Run("Suspend-CarpInterface carp* -WhatIf").AssertNoErrors();
        Assert.Equal("False,False,False", Text(ps, "(Get-CarpStatus).Maintenance"));

        ps.Run("Suspend-CarpInterface carp*").AssertNoErrors();
        Assert.Equal("True,True,False", Text(ps, "(Get-CarpStatus).Maintenance"));

        ps.Run("Suspend-CarpInterface -All").AssertNoErrors();
        Assert.Equal("True,True,True", Text(ps, "(Get-CarpStatus).Maintenance"));

        ps.Run("'carp2', 'wan1' | Resume-CarpInterface").AssertNoErrors();
        Assert.Equal("True,False,False", Text(ps, "(Get-CarpStatus).Maintenance"));

        ps.Run("Resume-CarpInterface -All -WhatIf").AssertNoErrors();
        Assert.Equal("True,False,False", Text(ps, "(Get-CarpStatus).Maintenance"));

        var result = ps.Run("Get-CarpStatus | Where-Object Maintenance | Resume-CarpInterface -PassThru").AssertNoErrors();
        Assert.Equal("carp1", result.Output.Single().Properties["Name"].Value);
        Assert.Equal("False,False,False", Text(ps, "(Get-CarpStatus).Maintenance"));
    }

    [Fact]
    public void Errors_are_InterfaceNotFound_and_InterfaceSuspended_with_their_advice()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 10", dev).AssertNoErrors();

        Assert.StartsWith("InterfaceNotFound,", ps.Run("Suspend-CarpInterface nosuch").SingleError().FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.StartsWith("InterfaceNotFound,", ps.Run("Resume-CarpInterface nosuch").SingleError().FullyQualifiedErrorId, StringComparison.Ordinal);
        ps.Run("Suspend-CarpInterface nosuch*").AssertNoErrors();

        ps.Run("Suspend-CarpInterface carp1").AssertNoErrors();
        var error = ps.Run("Set-CarpInterface carp1 -State Master -Force").SingleError();
        Assert.StartsWith("InterfaceSuspended,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("Resume-CarpInterface", error.ErrorDetails.RecommendedAction, StringComparison.Ordinal);
        Assert.Contains("maintenance", error.Exception.Message, StringComparison.Ordinal);
        Assert.Equal("Backup", Text(ps, "(Get-CarpStatus carp1).State"));
    }

    [Fact]
    public void Resume_warns_when_preempt_is_off_and_a_master_is_heard()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 2", dev).AssertNoErrors();
        ps.Run("Suspend-CarpInterface carp1").AssertNoErrors();
        using var peer = Peer.MasterFor(module, ps, dev);

        var result = ps.Run("Resume-CarpInterface carp1").AssertNoErrors();

        var warning = Assert.Single(result.Warnings);
        Assert.StartsWith("carp1 stays BACKUP: preempt is off", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_MaintenanceChanged_event_carries_the_interface_vhid_and_new_value()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("""
            Register-CarpEvent -SourceIdentifier Maint -EventType MaintenanceChanged
            New-CarpInterface -Name carp1 -Vhid 7 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 10
            Suspend-CarpInterface carp1
            Resume-CarpInterface carp1
            """, dev).AssertNoErrors();

        Assert.True(SpinWait.SpinUntil(() => ps.Runspace.Events.ReceivedEvents.Count(e => e.SourceIdentifier == "Maint") == 2, TimeSpan.FromSeconds(10)));
        var events = ps.Runspace.Events.ReceivedEvents.Where(e => e.SourceIdentifier == "Maint").Select(e => (object)e.SourceEventArgs).ToList();
        Assert.Equal(["carp1", "carp1"], events.Select(e => EventTests.Prop(e, "Interface")));
        Assert.Equal([(byte)7, (byte)7], events.Select(e => EventTests.Prop(e, "Vhid")));
        // Both values arrive; the event queue does not promise their order.
        Assert.Equal([false, true], events.Select(e => (bool)EventTests.Prop(e, "Maintenance")!).Order());
        Assert.All(events, e => Assert.Equal("MaintenanceChanged", EventTests.Prop(e, "EventType")?.ToString()));
    }
}
