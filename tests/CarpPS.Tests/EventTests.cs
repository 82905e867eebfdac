using System.Management.Automation;

namespace CarpPS.Tests;

public sealed class EventTests(ModuleFixture module)
{
    [Fact]
    public void State_changes_reach_an_Action_and_the_event_queue()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("""
            $global:carpStates = [System.Collections.Generic.List[string]]::new()
            Register-CarpEvent -Name carp1 -EventType StateChanged -SourceIdentifier CarpAction -MessageData 'fw1' -Action {
                $global:carpStates.Add("$($Event.MessageData) $($Event.SourceEventArgs.Interface) $($Event.SourceEventArgs.NewState) $($Event.SourceEventArgs.Event.NewState)")
            } | Out-Null
            Register-CarpEvent -SourceIdentifier CarpQueue
            New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24
            New-CarpInterface -Name other -Vhid 2 -CarpDev $args[0] -Address 192.0.2.2/24 -AdvBase 10
            Wait-CarpState carp1 -State Master -Timeout 10 | Out-Null
            """, dev).AssertNoErrors();

        // The action runs on the pipeline thread when the runspace is free: give it a few pipelines.
        var states = new List<string>();
        for (var i = 0; i < 50 && !states.Any(s => s.EndsWith("Master Master", StringComparison.Ordinal)); i++)
        {
            states = [.. ps.Run("[Threading.Thread]::Sleep(50); $global:carpStates").Output.Select(o => o.ToString())];
        }

        Assert.Contains("fw1 carp1 Master Master", states);
        Assert.DoesNotContain(states, s => s.Contains("other", StringComparison.Ordinal));

        var queued = ps.Runspace.Events.ReceivedEvents.Where(e => e.SourceIdentifier == "CarpQueue").ToList();
        Assert.All(queued, e => Assert.Equal("CarpEventArgs", e.SourceEventArgs.GetType().Name));
        Assert.Contains(queued, e => (string?)Prop(e.SourceEventArgs, "Interface") == "carp1" && Prop(e.SourceEventArgs, "EventType")?.ToString() == "StateChanged");
        Assert.Contains(queued, e => (string?)Prop(e.SourceEventArgs, "Interface") == "other");
        // The action's events are not queued.
        Assert.DoesNotContain(ps.Runspace.Events.ReceivedEvents, e => e.SourceIdentifier == "CarpAction");
    }

    [Fact]
    public void EventType_filters_and_unregistering_ends_the_engine_subscription()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("""
            Register-CarpEvent -SourceIdentifier Demotions -EventType DemotionChanged
            New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 10
            Set-CarpInterface carp1 -AdvSkew 42
            """, dev).AssertNoErrors();

        var subscriber = Assert.Single(ps.Runspace.Events.Subscribers, s => s.SourceIdentifier == "Demotions");
        var source = subscriber.SourceObject;
        Assert.Equal(true, Prop(source, "IsActive"));

        WaitUntil(() => ps.Runspace.Events.ReceivedEvents.Any(e => e.SourceIdentifier == "Demotions"));
        Assert.All(ps.Runspace.Events.ReceivedEvents.Where(e => e.SourceIdentifier == "Demotions"),
            e => Assert.Equal("DemotionChanged", Prop(e.SourceEventArgs, "EventType")?.ToString()));

        ps.Runspace.Events.UnsubscribeEvent(subscriber);
        Assert.Equal(false, Prop(source, "IsActive"));
    }

    [Fact]
    public void MaxTriggerCount_and_SupportEvent_come_from_the_base_class()
    {
        using var ps = new PsSession(module);
        var result = ps.Run("(Get-Command Register-CarpEvent).Parameters.Keys").Output.Select(o => o.ToString()).ToList();
        foreach (var name in new[] { "Name", "EventType", "Session", "SourceIdentifier", "Action", "MessageData", "SupportEvent", "Forward", "MaxTriggerCount" })
        {
            Assert.Contains(name, result);
        }
    }

    [Fact]
    public void Register_CarpEvent_without_an_engine_connection_fails_cleanly()
    {
        using var ps = new PsSession(module);
        var result = ps.Run("""
            $s = Connect-CarpService -Simulation -CarpDev $args[0] -PassThru
            Disconnect-CarpService $s
            Register-CarpEvent -Session $s -SourceIdentifier Never
            """, PsSession.UniqueCarpDev());
        Assert.Equal("ServiceUnreachable,CarpPS.Commands.RegisterCarpEventCommand", result.SingleError().FullyQualifiedErrorId);
        Assert.DoesNotContain(ps.Runspace.Events.Subscribers, s => s.SourceIdentifier == "Never");
    }

    [Fact]
    public void SupportEvent_subscriptions_stay_active_and_MaxTriggerCount_ends_the_engine_subscription()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("""
            Register-CarpEvent -SourceIdentifier Hidden -SupportEvent
            Register-CarpEvent -SourceIdentifier Once -MaxTriggerCount 1
            """).AssertNoErrors();
        var hidden = Assert.Single(ps.Runspace.Events.Subscribers, s => s.SourceIdentifier == "Hidden");
        var once = Assert.Single(ps.Runspace.Events.Subscribers, s => s.SourceIdentifier == "Once");
        Assert.Equal(true, Prop(hidden.SourceObject, "IsActive"));
        Assert.Equal(true, Prop(once.SourceObject, "IsActive"));

        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 10", dev).AssertNoErrors();
        WaitUntil(() => Prop(once.SourceObject, "IsActive") is false);
        Assert.Equal(true, Prop(hidden.SourceObject, "IsActive"));
    }

    [Fact]
    public void A_duplicate_SourceIdentifier_is_the_base_class_error_and_leaks_no_engine_subscription()
    {
        using var ps = new PsSession(module);
        ps.ConnectSimulation();
        ps.Run("Register-CarpEvent -SourceIdentifier Twice").AssertNoErrors();
        var result = ps.Run("Register-CarpEvent -SourceIdentifier Twice");
        Assert.Single(result.Errors);
        Assert.EndsWith(",CarpPS.Commands.RegisterCarpEventCommand", result.Errors[0].FullyQualifiedErrorId);
        Assert.Single(ps.Runspace.Events.Subscribers, s => s.SourceIdentifier == "Twice");
    }

    [Fact]
    public void Unregistering_after_the_engine_was_disconnected_is_quiet()
    {
        using var ps = new PsSession(module);
        ps.ConnectSimulation();
        ps.Run("Register-CarpEvent -SourceIdentifier Orphan").AssertNoErrors();
        var source = Assert.Single(ps.Runspace.Events.Subscribers, s => s.SourceIdentifier == "Orphan").SourceObject;

        // Disconnecting unsubscribes it (quietly, though the engine is already being closed).
        ps.Run("Disconnect-CarpService").AssertNoErrors();
        Assert.DoesNotContain(ps.Runspace.Events.Subscribers, s => s.SourceIdentifier == "Orphan");
        Assert.Equal(false, Prop(source, "IsActive"));
    }

    [Fact]
    public void Remove_Module_unsubscribes_Register_CarpEvent_and_ends_the_engine_subscription()
    {
        using var ps = new PsSession(module);
        ps.ConnectSimulation();
        ps.Run("Register-CarpEvent -SourceIdentifier Gone").AssertNoErrors();
        var source = Assert.Single(ps.Runspace.Events.Subscribers, s => s.SourceIdentifier == "Gone").SourceObject;
        Assert.Equal(true, Prop(source, "IsActive"));

        ps.Run("Remove-Module CarpPS").AssertNoErrors();
        Assert.DoesNotContain(ps.Runspace.Events.Subscribers, s => s.SourceIdentifier == "Gone");
        Assert.Equal(false, Prop(source, "IsActive"));
    }

    [Fact]
    public void Closing_the_session_ends_its_Register_CarpEvent_subscriptions()
    {
        using var ps = new PsSession(module);
        ps.Run("$global:kept = Connect-CarpService -Simulation -CarpDev $args[0] -PassThru", PsSession.UniqueCarpDev()).AssertNoErrors();
        ps.ConnectSimulation();
        ps.Run("Register-CarpEvent -SourceIdentifier OnKept -Session $kept; Register-CarpEvent -SourceIdentifier OnCurrent").AssertNoErrors();
        var kept = Assert.Single(ps.Runspace.Events.Subscribers, s => s.SourceIdentifier == "OnKept").SourceObject;
        var current = Assert.Single(ps.Runspace.Events.Subscribers, s => s.SourceIdentifier == "OnCurrent").SourceObject;

        ps.Run("Disconnect-CarpService -Session $kept").AssertNoErrors();
        Assert.DoesNotContain(ps.Runspace.Events.Subscribers, s => s.SourceIdentifier == "OnKept");
        Assert.Equal(false, Prop(kept, "IsActive"));
        Assert.Equal(true, Prop(current, "IsActive"));
    }

    internal static object? Prop(object target, string name) => target.GetType().GetProperty(name)?.GetValue(target);

    internal static void WaitUntil(Func<bool> condition, int seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            Thread.Sleep(50);
        }
    }
}
