using System.Text.RegularExpressions;

namespace CarpPS.Tests;

/// <summary>The default views, rendered through Out-Default on the test host.</summary>
public sealed partial class FormatTests(ModuleFixture module)
{
    [Fact]
    public void Status_table_shows_the_ifconfig_columns()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("""
            New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24
            Wait-CarpState carp1 Master -Timeout 10 | Out-Null
            """, dev).AssertNoErrors();
        ps.Host.TestUI.Clear();
        ps.Run("Get-CarpStatus | Out-Default").AssertNoErrors();
        var text = ps.Host.TestUI.Text;
        Assert.Matches(Header("Name", "Vhid", "CarpDev", "State", "Address", "AdvSkew", "Master"), text);
        Assert.Matches(@"carp1\s+1\s+" + dev + @"\s+Master\s+192\.0\.2\.1/24\s+0\s+\(this node\)", text);
    }

    [Fact]
    public void Interface_sysctl_statistics_and_session_tables()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 10", dev).AssertNoErrors();

        ps.Host.TestUI.Clear();
        ps.Run("Get-CarpInterface | Out-Default").AssertNoErrors();
        Assert.Matches(Header("Name", "Vhid", "CarpDev", "State", "Address", "AdvBase", "AdvSkew", "Profile", "HasPass"), ps.Host.TestUI.Text);

        ps.Host.TestUI.Clear();
        ps.Run("Get-CarpSysctl | Out-Default").AssertNoErrors();
        Assert.Matches(Header("Name", "Value", "Default", "Range", "Description"), ps.Host.TestUI.Text);
        Assert.Matches(@"suppress_preempt\s+0\s+0\s+read-only", ps.Host.TestUI.Text);

        ps.Host.TestUI.Clear();
        ps.Run("Get-CarpStatistics | Out-Default").AssertNoErrors();
        Assert.Matches(Header("IPackets", "IPackets6", "OPackets", "OPackets6", "BadAuth", "BadVhid"), ps.Host.TestUI.Text);

        ps.Host.TestUI.Clear();
        ps.Run("Connect-CarpService -Simulation -CarpDev $args[0] -PassThru | Out-Default", dev).AssertNoErrors();
        Assert.Matches(Header("Id", "Kind", "Target", "IsOpen", "ConnectedAt"), ps.Host.TestUI.Text);
        Assert.Contains("Simulation", ps.Host.TestUI.Text);
    }

    private static Regex Header(params string[] columns) => new(@"(?m)^\s*" + string.Join(@"\s+", columns.Select(Regex.Escape)));
}
