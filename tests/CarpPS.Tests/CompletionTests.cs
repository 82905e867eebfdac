using System.Management.Automation;

namespace CarpPS.Tests;

public sealed class CompletionTests(ModuleFixture module)
{
    [Fact]
    public void Name_CarpDev_Vhid_and_sysctl_names_complete()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("""
            New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 10
            New-CarpInterface -Name carp2 -Vhid 2 -CarpDev $args[0] -Address 192.0.2.2/24 -AdvBase 10
            """, dev).AssertNoErrors();

        Assert.Equal(["carp1", "carp2"], Complete(ps, "Set-CarpInterface -Name "));
        Assert.Equal(["carp2"], Complete(ps, "Get-CarpStatus carp2"));
        Assert.Equal([dev], Complete(ps, "New-CarpInterface -CarpDev "));
        var vhids = Complete(ps, $"New-CarpInterface -CarpDev {dev} -Vhid ");
        Assert.DoesNotContain("1", vhids);
        Assert.DoesNotContain("2", vhids);
        Assert.Contains("3", vhids);
        Assert.Equal(["preempt"], Complete(ps, "Set-CarpSysctl -Name pre"));
        Assert.Contains("Master", Complete(ps, "Wait-CarpState carp1 -State "));
    }

    [Fact]
    public void Completion_never_starts_the_in_process_engine()
    {
        // No connection: the completers find no running engine and offer nothing (instead of starting one as root).
        using var ps = new PsSession(module);
        Assert.Empty(Complete(ps, "Set-CarpInterface -Name "));
        Assert.Empty(ps.Run("$Error").Output);

        // Without a simulation, -CarpDev completes the host's network interfaces.
        var devices = Directory.GetFileSystemEntries("/sys/class/net").Select(Path.GetFileName).Where(n => n != "lo").Order(StringComparer.Ordinal);
        Assert.Equal(devices, Complete(ps, "New-CarpInterface -CarpDev "));
    }

    private static List<string> Complete(PsSession ps, string input)
    {
        using var shell = PowerShell.Create(ps.Runspace);
        var completion = CommandCompletion.CompleteInput(input, input.Length, null, shell);
        return [.. completion.CompletionMatches.Select(m => m.CompletionText)];
    }
}
