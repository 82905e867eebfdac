using System.Collections;
using System.Diagnostics;
using System.Management.Automation;

namespace CarpPS.Tests;

public sealed class WaitTests(ModuleFixture module)
{
    [Fact]
    public void Wait_CarpState_returns_the_status_when_Master_is_reached()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        var result = ps.Run("""
            New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24
            Wait-CarpState -Name carp1 -State Master -Timeout 10
            """, dev).AssertNoErrors();
        var status = Assert.Single(result.Output);
        Assert.Equal("CarpPS.CarpStatus", status.TypeNames[0]);
        Assert.Equal("Master", status.Properties["State"].Value.ToString());
        Assert.Equal("MasterDown", status.Properties["LastTransitionReason"].Value.ToString());
    }

    [Fact]
    public void Wait_CarpState_takes_names_from_the_pipeline_and_returns_at_once_when_already_there()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        var result = ps.Run("""
            New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 10
            New-CarpInterface -Name carp2 -Vhid 2 -CarpDev $args[0] -Address 192.0.2.2/24 -AdvBase 10
            Get-CarpInterface | Wait-CarpState -State Backup -Timeout 0
            """, dev).AssertNoErrors();
        Assert.Equal(2, result.Output.Count);
    }

    [Fact]
    public void Wait_CarpState_times_out_with_a_stable_error()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 10", dev).AssertNoErrors();
        var watch = Stopwatch.StartNew();
        var result = ps.Run("Wait-CarpState -Name carp1 -State Master -Timeout 1");
        Assert.InRange(watch.Elapsed.TotalSeconds, 0.9, 5);
        Assert.Empty(result.Output);
        var error = result.SingleError();
        Assert.Equal("WaitTimeout,CarpPS.Commands.WaitCarpStateCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.OperationTimeout, error.CategoryInfo.Category);
        Assert.Equal("carp1", error.TargetObject);
        Assert.False(string.IsNullOrWhiteSpace(error.ErrorDetails?.RecommendedAction));

        var missing = ps.Run("Wait-CarpState -Name nosuch -State Master -Timeout 1");
        Assert.Equal("InterfaceNotFound,CarpPS.Commands.WaitCarpStateCommand", missing.SingleError().FullyQualifiedErrorId);
    }

    [Fact]
    public void Stopping_the_pipeline_ends_the_wait()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 10", dev).AssertNoErrors();

        using var wait = PowerShell.Create(ps.Runspace);
        wait.AddCommand("Wait-CarpState").AddParameters(new Hashtable { ["Name"] = "carp1", ["State"] = "Master" });
        var pending = wait.BeginInvoke();
        Thread.Sleep(500);
        Assert.False(pending.IsCompleted);
        var watch = Stopwatch.StartNew();
        wait.Stop();
        Assert.True(pending.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(5)));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3));
        Assert.Equal(PSInvocationState.Stopped, wait.InvocationStateInfo.State);
    }
}
