using System.Text.RegularExpressions;

namespace CarpPS.Tests;

/// <summary>The default views, rendered through Out-Default on the test host and with Out-String -Width 80.</summary>
public sealed partial class FormatTests(ModuleFixture module)
{
    // A 12-character name, a dual-stack address list and a long carpdev name: what the old fixed columns cut.
    private const string DualStack = """
        New-CarpInterface -Name carp-uplink2 -Vhid 200 -CarpDev $args[0] -Address 198.51.100.100/24, 2001:db8::100/64 -AdvSkew 128 -Pass x
        New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 2 -Profile OpenBSD
        Set-CarpInterface -Name carp1 -State Master -Force
        """;

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
        Assert.Matches(Header("Name", "Vhid", "CarpDev", "AdvBase", "AdvSkew", "Profile", "Pass", "Address"), ps.Host.TestUI.Text);

        ps.Host.TestUI.Clear();
        ps.Run("Get-CarpSysctl | Out-Default").AssertNoErrors();
        Assert.Matches(Header("Name", "Value", "Default", "Range", "Description"), ps.Host.TestUI.Text);
        Assert.Matches(@"suppress_preempt\s+0\s+0\s+read-only", ps.Host.TestUI.Text);

        ps.Host.TestUI.Clear();
        ps.Run("Get-CarpStatistics | Out-Default").AssertNoErrors();
        Assert.Matches(Header("IPackets", "IPackets6", "OPackets", "OPackets6", "BadAuth", "BadVhid", "BadTtl", "Preempt"), ps.Host.TestUI.Text);

        ps.Host.TestUI.Clear();
        ps.Run("Connect-CarpService -Simulation -CarpDev $args[0] -PassThru | Out-Default", dev).AssertNoErrors();
        Assert.Matches(Header("Id", "Kind", "Target", "IsOpen", "ConnectedAt"), ps.Host.TestUI.Text);
        Assert.Contains("Simulation", ps.Host.TestUI.Text);
    }

    [Theory]
    [InlineData("Get-CarpStatus")]
    [InlineData("Get-CarpInterface")]
    [InlineData("Get-CarpStatistics")]
    [InlineData("Get-CarpSysctl")]
    [InlineData("Get-CarpAction")]
    [InlineData("Connect-CarpService -Simulation -CarpDev $args[0] -PassThru")]
    public void Every_table_fits_80_columns(string command)
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run(DualStack, dev).AssertNoErrors();
        ps.Run("Register-CarpAction -Name carp1, carp-uplink2 -EventType StateChanged -ScriptBlock { 'x' }").AssertNoErrors();
        var text = Render(ps, command, dev);
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.True(lines.All(l => l.Length <= 80), $"{command} renders lines over 80 columns:\n{text}");
        if (!command.StartsWith("Get-CarpSysctl", StringComparison.Ordinal))
        {
            // Only a sysctl's description may be cut (Get-CarpSysctl | Format-List and Get-Help show it whole).
            Assert.DoesNotContain("…", text);
        }

        Assert.True(lines.Count(l => l.Trim().Length > 0) > 2, text);

        // One header line, whole ("Pree" over "mpt" is a header cut in two), then the dashes.
        var rows = lines.Where(l => l.Trim().Length > 0).ToList();
        Assert.Matches(@"^[\s-]+$", rows[1]);
        Assert.Equal(rows[0].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(h => h.Length), rows[1].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(d => d.Length));
    }

    [Fact]
    public void Status_and_interface_tables_keep_names_addresses_state_and_master_whole_at_80_columns()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run(DualStack, dev).AssertNoErrors();

        var status = Render(ps, "Get-CarpStatus");
        Assert.Matches(Header("Name", "Vhid", "CarpDev", "State", "Address", "AdvSkew", "Master"), status);
        Assert.Matches(@"(?m)^carp1\s+1\s+" + dev + @"\s+Master\s+192\.0\.2\.1/24\s+0\s+\(this node\)\s*$", status);
        Assert.Matches(@"(?m)^carp-uplink2\s+200\s+" + dev + @"\s+Backup\s+198\.51\.100\.100/24\s+128\s*$", status);
        Assert.Matches(@"(?m)^\s+2001:db8::100/64\s*$", status);

        // The configuration: no state or master, but timing, profile and whether a pass is set.
        var config = Render(ps, "Get-CarpInterface");
        Assert.DoesNotMatch(@"(?m)^\s*Name.*\bState\b", config);
        Assert.DoesNotContain("Master", config);
        Assert.Matches(@"(?m)^carp-uplink2\s+200\s+" + dev + @"\s+1\s+128\s+FreeBSD\s+yes\s+198\.51\.100\.100/24\s*$", config);
        Assert.Matches(@"(?m)^carp1\s+1\s+" + dev + @"\s+2\s+0\s+OpenBSD\s+no\s+192\.0\.2\.1/24\s*$", config);
        Assert.Matches(@"(?m)^\s+2001:db8::100/64\s*$", config);

    }

    [Theory]
    [InlineData("Get-CarpStatus")]
    [InlineData("Get-CarpInterface")]
    [InlineData("Get-CarpStatistics")]
    [InlineData("Get-CarpSysctl")]
    [InlineData("Get-CarpAction")]
    public void A_deserialized_result_renders_like_the_live_one(string command)
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run(DualStack, dev).AssertNoErrors();
        ps.Run("Register-CarpAction -Name carp1 -EventType StateChanged -ScriptBlock { 'x' }").AssertNoErrors();
        var typeName = ps.Run($$"""
            $global:live = @({{command}})
            $global:copy = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($live, 3))
            $copy[0].pstypenames[0]
            """).AssertNoErrors().Output.Single().ToString();
        Assert.StartsWith("Deserialized.CarpPS.", typeName, StringComparison.Ordinal);
        var live = Render(ps, "$live");
        Assert.Equal(live, Render(ps, "$copy"));
        Assert.True(live.Split('\n').Length > 4, live);
    }

    /// <summary>Renders through Out-Default on an 80-column host (the test host has no Out-String or Format-List).</summary>
    private static string Render(PsSession ps, string command, params object?[] args)
    {
        ps.Host.TestUI.RawUI.BufferSize = new(80, 1000);
        ps.Host.TestUI.Clear();
        ps.Run(command + " | Out-Default", args).AssertNoErrors();
        return ps.Host.TestUI.Text;
    }

    private static Regex Header(params string[] columns) => new(@"(?m)^\s*" + string.Join(@"\s+", columns.Select(Regex.Escape)));
}
