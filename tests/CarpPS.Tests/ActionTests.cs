using System.Collections.Concurrent;
using System.Management.Automation;
using System.Text.RegularExpressions;
using static CarpPS.Tests.EventTests;

namespace CarpPS.Tests;

/// <summary>Register-CarpAction: script blocks that run in the module's background runspace, even while the session is busy.</summary>
public sealed class ActionTests(ModuleFixture module)
{
    private const string Pass = "Zq9-sekrit-77";

    /// <summary>A queue the actions (in the background runspace) and the test share through AppDomain data.</summary>
    private static (string Key, ConcurrentQueue<string> Queue) SharedQueue()
    {
        var key = "carpps-action-" + Guid.NewGuid().ToString("N");
        var queue = new ConcurrentQueue<string>();
        AppDomain.CurrentDomain.SetData(key, queue);
        return (key, queue);
    }

    private static PSObject Register(PsSession ps, string script, string parameters = "")
    {
        var result = ps.Run($"Register-CarpAction {parameters} -ScriptBlock ([scriptblock]::Create($args[0]))", script).AssertNoErrors();
        return Assert.Single(result.Output);
    }

    private static int Count(PSObject registration, string property) => (int)registration.Properties[property].Value;

    /// <summary>
    /// Creates carp1 on the user's runspace in a pipeline that then stays busy until <c>release</c> is set (or 30 s pass);
    /// the pipeline returns its thread id and whether it was released.
    /// </summary>
    private static (Task<RunResult> Busy, ManualResetEventSlim Release) StartBusyPipeline(PsSession ps, string dev)
    {
        var key = "carpps-release-" + Guid.NewGuid().ToString("N");
        var release = new ManualResetEventSlim();
        AppDomain.CurrentDomain.SetData(key, release);
        var busy = Task.Run(() => ps.Run("""
            [Environment]::CurrentManagedThreadId
            New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24
            $release = [AppDomain]::CurrentDomain.GetData($args[1])
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            while (-not $release.IsSet -and [DateTime]::UtcNow -lt $deadline) { [Threading.Thread]::Sleep(50) }
            $release.IsSet
            """, dev, key));
        return (busy, release);
    }

    [Fact]
    public async Task An_action_runs_while_the_users_pipeline_is_busy()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        var (key, queue) = SharedQueue();
        var registration = Register(ps, $"[AppDomain]::CurrentDomain.GetData('{key}').Enqueue(\"$($CarpEvent.Interface) $($CarpEvent.NewState) $($args[0].NewState)\")",
            "-Name carp1 -EventType StateChanged");

        var (busy, release) = StartBusyPipeline(ps, dev);
        try
        {
            WaitUntil(() => queue.Contains("carp1 Master Master") || busy.IsCompleted, 20);
            Assert.False(busy.IsCompleted, "the busy pipeline ended before the action ran");
            Assert.Contains("carp1 Master Master", queue);
            Assert.True(Count(registration, "Invocations") >= 1);
        }
        finally
        {
            release.Set();
        }

        var result = (await busy).AssertNoErrors();
        Assert.Equal(true, result.Output[^1].BaseObject);
    }

    [Fact]
    public async Task An_action_runs_neither_on_an_engine_thread_nor_on_the_users_pipeline_thread()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        var (key, queue) = SharedQueue();
        Register(ps, $"[AppDomain]::CurrentDomain.GetData('{key}').Enqueue(\"$([Environment]::CurrentManagedThreadId)|$([Threading.Thread]::CurrentThread.Name)|$($CarpEvent.NewState)\")",
            "-EventType StateChanged");

        // The engine's threads: those that raise the engine's events (seen through a Register-CarpEvent source).
        var engineThreads = new ConcurrentBag<int>();
        ps.Run("Register-CarpEvent -SourceIdentifier EngineThreads").AssertNoErrors();
        var source = Assert.Single(ps.Runspace.Events.Subscribers, s => s.SourceIdentifier == "EngineThreads").SourceObject;
        var eventInfo = source.GetType().GetEvent("CarpEventReceived")!;
        var probe = new ThreadProbe(engineThreads);
        eventInfo.AddEventHandler(source, Delegate.CreateDelegate(eventInfo.EventHandlerType!, probe, typeof(ThreadProbe).GetMethod(nameof(ThreadProbe.OnEvent))!));

        var (busy, release) = StartBusyPipeline(ps, dev);
        try
        {
            WaitUntil(() => queue.Any(e => e.EndsWith("|Master", StringComparison.Ordinal)) || busy.IsCompleted, 20);
            Assert.False(busy.IsCompleted, "the busy pipeline ended before the action ran");
        }
        finally
        {
            release.Set();
        }

        var result = (await busy).AssertNoErrors();
        var userThread = (int)result.Output[0].BaseObject;
        var runs = queue.Select(e => e.Split('|')).ToList();
        Assert.NotEmpty(engineThreads);
        Assert.All(runs, run =>
        {
            var thread = int.Parse(run[0], System.Globalization.CultureInfo.InvariantCulture);
            Assert.NotEqual(userThread, thread);
            Assert.DoesNotContain(thread, engineThreads);
            Assert.Equal("CarpPS actions", run[1]);
        });
        Assert.Single(runs.Select(r => r[0]).Distinct());
    }

    [Fact]
    public void A_failing_action_keeps_its_last_error_and_runs_for_later_events()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        var throwing = Register(ps, "throw \"boom $($CarpEvent.EventType) $($CarpEvent.NewState)\"", "-Name carp1");
        var erring = Register(ps, "Get-CarpInterface -Name nosuch", "-Name carp1");
        Assert.Null(throwing.Properties["LastError"].Value);

        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 10", dev).AssertNoErrors();
        WaitUntil(() => Count(throwing, "Errors") >= 1 && Count(erring, "Errors") >= 1);
        Assert.StartsWith("boom StateChanged", (string)throwing.Properties["LastError"].Value, StringComparison.Ordinal);
        Assert.Contains("nosuch", (string)erring.Properties["LastError"].Value, StringComparison.Ordinal);

        // A later event runs it again.
        var before = Count(throwing, "Invocations");
        ps.Run("Set-CarpInterface -Name carp1 -AdvSkew 42 -Force").AssertNoErrors();
        WaitUntil(() => (string?)throwing.Properties["LastError"].Value == "boom DemotionChanged ");
        Assert.True(Count(throwing, "Invocations") > before);
        Assert.Equal(Count(throwing, "Invocations"), Count(throwing, "Errors"));
        Assert.Equal(true, throwing.Properties["IsActive"].Value);

        // The session's own pipelines are untouched by the failures.
        Assert.Equal("carp1", ps.Run("(Get-CarpInterface).Name").AssertNoErrors().Output.Single().ToString());
    }

    [Fact]
    public void Unregister_stops_further_invocations_and_ends_the_engine_subscription()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        var (keyA, queueA) = SharedQueue();
        var (keyB, queueB) = SharedQueue();
        var removed = Register(ps, $"[AppDomain]::CurrentDomain.GetData('{keyA}').Enqueue(\"$($CarpEvent.EventType)\")", "-Name carp1");
        var sentinel = Register(ps, $"[AppDomain]::CurrentDomain.GetData('{keyB}').Enqueue(\"$($CarpEvent.EventType)\")", "-Name carp1");
        var id = Count(removed, "Id");

        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 10", dev).AssertNoErrors();
        WaitUntil(() => !queueA.IsEmpty && !queueB.IsEmpty);

        // By pipeline, binding Id by property name.
        ps.Run("Get-CarpAction -Id $args[0] | Unregister-CarpAction", id).AssertNoErrors();
        Assert.Equal(false, removed.Properties["IsActive"].Value);
        Assert.Equal([Count(sentinel, "Id")], ps.Run("(Get-CarpAction).Id").Output.Select(o => (int)o.BaseObject));

        // Events run in order on one thread: once the sentinel saw the next event, the removed action would have too.
        ps.Run("Set-CarpInterface -Name carp1 -AdvSkew 42 -Force").AssertNoErrors();
        WaitUntil(() => queueB.Contains("DemotionChanged"));
        Assert.DoesNotContain("DemotionChanged", queueA);

        Assert.Equal("CarpActionNotFound,CarpPS.Commands.GetCarpActionCommand", ps.Run("Get-CarpAction -Id $args[0]", id).SingleError().FullyQualifiedErrorId);
        Assert.Equal("CarpActionNotFound,CarpPS.Commands.UnregisterCarpActionCommand", ps.Run("Unregister-CarpAction $args[0]", id).SingleError().FullyQualifiedErrorId);
        ps.Run("Register-CarpAction { } | Unregister-CarpAction; Get-CarpAction | Unregister-CarpAction").AssertNoErrors();
        Assert.Empty(ps.Run("Get-CarpAction").Output);
        Assert.Equal(false, sentinel.Properties["IsActive"].Value);
    }

    [Fact]
    public void WhatIf_registers_and_unregisters_nothing()
    {
        using var ps = new PsSession(module);
        ps.ConnectSimulation();
        Assert.Empty(ps.Run("Register-CarpAction -ScriptBlock { 'never' } -WhatIf").AssertNoErrors().Output);
        Assert.Empty(ps.Run("Get-CarpAction").AssertNoErrors().Output);

        var registration = Register(ps, "'kept'");
        ps.Run("Unregister-CarpAction -Id $args[0] -WhatIf", Count(registration, "Id")).AssertNoErrors();
        Assert.Equal(true, registration.Properties["IsActive"].Value);
        Assert.Single(ps.Run("Get-CarpAction").Output);
    }

    [Fact]
    public void The_pass_appears_in_no_registration_and_no_action_error()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        var directory = Directory.CreateTempSubdirectory("carpps-action-").FullName;
        try
        {
            var passFile = Path.Combine(directory, "pass");
            File.WriteAllText(passFile, Pass);
            var creating = Register(ps,
                $"New-CarpInterface -Name bad -Vhid 0 -CarpDev {dev} -Address 192.0.2.9/24 -Pass ([IO.File]::ReadAllText('{passFile}'))", "-Name carp1");
            var dumping = Register(ps,
                "throw (((Get-CarpInterface -Name carp1 | ForEach-Object { $_.PSObject.Properties | ForEach-Object { \"$($_.Name)=$($_.Value)\" } }) -join ';') + \" $CarpEvent\")",
                "-Name carp1");

            ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 10 -Pass $args[1]", dev, Pass).AssertNoErrors();
            WaitUntil(() => Count(creating, "Errors") >= 1 && Count(dumping, "Errors") >= 1);
            Assert.Contains("vhid", (string)creating.Properties["LastError"].Value, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("HasPass=True", (string)dumping.Properties["LastError"].Value, StringComparison.Ordinal);

            var text = string.Join("\n", ps.Run("""
                Get-CarpAction | ForEach-Object { $_.PSObject.Properties | ForEach-Object { "$($_.Name)=$($_.Value)" } }
                Get-CarpAction | Out-Default
                """).AssertNoErrors().Output.Select(o => o.ToString()));
            Assert.Contains("LastError=", text, StringComparison.Ordinal);
            Assert.DoesNotContain("sekrit", text, StringComparison.Ordinal);
            Assert.DoesNotContain("sekrit", ps.Host.TestUI.Text, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void The_table_view_and_Remove_Module()
    {
        using var ps = new PsSession(module);
        ps.ConnectSimulation();
        var registration = Register(ps, "'x'", "-Name carp* -EventType StateChanged");
        ps.Host.TestUI.Clear();
        ps.Run("Get-CarpAction | Out-Default").AssertNoErrors();
        Assert.Matches(new Regex(@"(?m)^\s*Id\s+Name\s+EventType\s+Invocations\s+LastError"), ps.Host.TestUI.Text);
        Assert.Matches(new Regex(@$"(?m)^\s*{Count(registration, "Id")}\s+carp\*\s+StateChanged\s+0"), ps.Host.TestUI.Text);

        ps.Run("Remove-Module CarpPS").AssertNoErrors();
        Assert.Equal(false, registration.Properties["IsActive"].Value);
    }

    [Fact]
    public void Closing_the_session_stops_its_actions()
    {
        using var ps = new PsSession(module);
        ps.ConnectSimulation();
        var registration = Register(ps, "'x'");
        Assert.Equal(true, registration.Properties["IsActive"].Value);
        ps.Run("Disconnect-CarpService").AssertNoErrors();
        Assert.Equal(false, registration.Properties["IsActive"].Value);
        Assert.Equal(false, Assert.Single(ps.Run("Get-CarpAction").AssertNoErrors().Output).Properties["IsActive"].Value);
    }

    [Fact]
    public void Inside_an_action_a_closed_session_is_unreachable_and_never_the_local_engine()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        var (key, queue) = SharedQueue();
        var startedKey = "carpps-started-" + Guid.NewGuid().ToString("N");
        var releaseKey = "carpps-release-" + Guid.NewGuid().ToString("N");
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        AppDomain.CurrentDomain.SetData(startedKey, started);
        AppDomain.CurrentDomain.SetData(releaseKey, release);
        Register(ps, $$"""
            [AppDomain]::CurrentDomain.GetData('{{startedKey}}').Set()
            [void][AppDomain]::CurrentDomain.GetData('{{releaseKey}}').Wait([TimeSpan]::FromSeconds(30))
            try { Get-CarpInterface -ErrorAction Stop | Out-Null; [AppDomain]::CurrentDomain.GetData('{{key}}').Enqueue('reached an engine') }
            catch { [AppDomain]::CurrentDomain.GetData('{{key}}').Enqueue($_.FullyQualifiedErrorId) }
            """, "-Name carp1");

        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 10", dev).AssertNoErrors();
        Assert.True(started.Wait(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken), "the action did not start");
        ps.Run("Disconnect-CarpService").AssertNoErrors();
        release.Set();
        WaitUntil(() => !queue.IsEmpty);
        Assert.Equal("ServiceUnreachable,CarpPS.Commands.GetCarpInterfaceCommand", Assert.Single(queue));
    }

    [Fact]
    public void An_action_that_forces_a_failover_does_not_ask()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        var (key, queue) = SharedQueue();
        var registration = Register(ps, $$"""
            if ($CarpEvent.NewState -eq 'Master') {
                Set-CarpInterface carp1 -AdvSkew 100 -ErrorAction Stop
                [AppDomain]::CurrentDomain.GetData('{{key}}').Enqueue("$ConfirmPreference")
            }
            """, "-Name carp1 -EventType StateChanged");

        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24", dev).AssertNoErrors();
        WaitUntil(() => !queue.IsEmpty || Count(registration, "Errors") > 0);
        Assert.True(Count(registration, "Errors") == 0, (string?)registration.Properties["LastError"].Value);
        Assert.Equal("None", queue.First());
        Assert.Equal((byte)100, ps.Run("Get-CarpInterface carp1").AssertNoErrors().Output[0].Properties["AdvSkew"].Value);
    }

    private sealed class ThreadProbe(ConcurrentBag<int> threads)
    {
        public void OnEvent(object? sender, EventArgs e) => threads.Add(Environment.CurrentManagedThreadId);
    }
}
