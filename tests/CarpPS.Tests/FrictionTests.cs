using System.Collections;
using System.Management.Automation;
using System.Reflection;
using System.Text.RegularExpressions;

namespace CarpPS.Tests;

/// <summary>Issue 10 "The module in a real pwsh": mistakes that were accepted silently, wildcards, messages and help.</summary>
public sealed class FrictionTests(ModuleFixture module)
{
    [Fact]
    public void An_address_without_a_prefix_warns_with_the_prefix_used()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        var result = ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1 -AdvBase 10", dev).AssertNoErrors();
        var warning = Assert.Single(result.Warnings).Message;
        Assert.Contains("192.0.2.1/32", warning, StringComparison.Ordinal);

        var set = ps.Run("Set-CarpInterface carp1 -Address 2001:db8::1 -Force").AssertNoErrors();
        Assert.Contains("2001:db8::1/128", Assert.Single(set.Warnings).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_address_on_two_vhids_is_refused_unless_arpbalance_is_on()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 10", dev).AssertNoErrors();
        ps.Run("New-CarpInterface -Name carp2 -Vhid 2 -CarpDev $args[0] -Address 192.0.2.2/24 -AdvBase 10", dev).AssertNoErrors();
        var before = ValidationTests.Snapshot(ps);

        var created = ps.Run("New-CarpInterface -Name carp3 -Vhid 3 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 10", dev).SingleError();
        Assert.Equal("DuplicateAddress,CarpPS.Commands.NewCarpInterfaceCommand", created.FullyQualifiedErrorId);
        Assert.Contains("carp1", created.Exception.Message, StringComparison.Ordinal);
        Assert.Contains("ArpBalance", created.ErrorDetails.RecommendedAction, StringComparison.Ordinal);
        Assert.Equal("carp3", created.TargetObject);
        var set = ps.Run("Set-CarpInterface carp2 -Address 192.0.2.1/24 -Force").SingleError();
        Assert.Equal("DuplicateAddress,CarpPS.Commands.SetCarpInterfaceCommand", set.FullyQualifiedErrorId);
        Assert.Equal(before, ValidationTests.Snapshot(ps));

        // An ARP-balancing set carries one address on several vhids on purpose: allowed, with a warning.
        ps.Run("Set-CarpSysctl -ArpBalance $true").AssertNoErrors();
        var balanced = ps.Run("New-CarpInterface -Name carp3 -Vhid 3 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 10", dev).AssertNoErrors();
        Assert.Contains("arpbalance", Assert.Single(balanced.Warnings).Message, StringComparison.Ordinal);
        Assert.Equal(3, ps.Run("Get-CarpInterface").Output.Count);
    }

    [Fact]
    public void A_name_that_is_a_simulated_carpdev_is_refused_with_advice_to_choose_another_name()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        var error = ps.Run("New-CarpInterface -Name $args[0] -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24", dev).SingleError();
        Assert.Equal("InterfaceExists,CarpPS.Commands.NewCarpInterfaceCommand", error.FullyQualifiedErrorId);
        Assert.Contains("Choose another -Name", error.ErrorDetails.RecommendedAction, StringComparison.Ordinal);
        Assert.DoesNotContain("Set-CarpInterface", error.ErrorDetails.RecommendedAction, StringComparison.Ordinal);
        Assert.DoesNotContain("Remove", error.ErrorDetails.RecommendedAction, StringComparison.Ordinal);
        Assert.Empty(ps.Run("Get-CarpInterface").Output);
    }

    [Fact]
    public void Set_Remove_and_Wait_take_wildcards_and_only_a_literal_name_that_matches_nothing_is_an_error()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("""
            New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 10
            New-CarpInterface -Name carp2 -Vhid 2 -CarpDev $args[0] -Address 192.0.2.2/24 -AdvBase 10
            New-CarpInterface -Name lan3 -Vhid 3 -CarpDev $args[0] -Address 192.0.2.3/24 -AdvBase 10
            """, dev).AssertNoErrors();

        var waited = ps.Run("Wait-CarpState carp* Backup -Timeout 0").AssertNoErrors();
        Assert.Equal(["carp1", "carp2"], waited.Output.Select(o => o.Properties["Name"].Value.ToString()));
        ps.Run("Wait-CarpState nosuch* Backup -Timeout 0; Remove-CarpInterface nosuch*").AssertNoErrors();
        Assert.Equal("InterfaceNotFound,CarpPS.Commands.WaitCarpStateCommand", ps.Run("Wait-CarpState nosuch Backup -Timeout 0").SingleError().FullyQualifiedErrorId);
        Assert.Equal("InterfaceNotFound,CarpPS.Commands.RemoveCarpInterfaceCommand", ps.Run("Remove-CarpInterface nosuch").SingleError().FullyQualifiedErrorId);

        ps.Run("Set-CarpInterface carp* -AdvSkew 7; Set-CarpInterface nosuch* -AdvSkew 9").AssertNoErrors();
        Assert.Equal(["7", "7", "0"], ps.Run("Get-CarpInterface").Output.Select(o => o.Properties["AdvSkew"].Value.ToString()));
        Assert.Equal("InterfaceNotFound,CarpPS.Commands.SetCarpInterfaceCommand", ps.Run("Set-CarpInterface nosuch -AdvSkew 9").SingleError().FullyQualifiedErrorId);

        ps.Run("Remove-CarpInterface carp*").AssertNoErrors();
        Assert.Equal(["lan3"], ps.Run("Get-CarpInterface").Output.Select(o => o.Properties["Name"].Value.ToString()));
    }

    [Fact]
    public void Every_Name_parameter_that_selects_existing_interfaces_supports_wildcards()
    {
        using var ps = new PsSession(module);
        var names = ps.Run("""
            Get-Command -Module CarpPS -Verb Get, Set, Remove, Wait, Register | Where-Object { $_.Parameters['Name'] -and $_.Name -notin 'Set-CarpSysctl', 'Register-CarpFailoverTest' } |
                Where-Object { -not ($_.Parameters['Name'].Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] }) } |
                ForEach-Object Name
            """).AssertNoErrors().Output.Select(o => o.ToString());
        Assert.Empty(names);
    }

    [Fact]
    public void Demote_out_of_range_says_so_in_CarpPS_words_on_the_interface()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 10", dev).AssertNoErrors();
        foreach (var script in new[] { "Set-CarpInterface carp1 -Demote 999", "Get-CarpInterface | Set-CarpInterface -Demote 999" })
        {
            var error = ps.Run(script).SingleError();
            Assert.Equal("InvalidDemote,CarpPS.Commands.SetCarpInterfaceCommand", error.FullyQualifiedErrorId);
            Assert.Equal("carp1", error.TargetObject);
            Assert.DoesNotContain("Actual value", error.Exception.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("Parameter", error.Exception.Message, StringComparison.Ordinal);
            Assert.Contains("-255 to 255", error.Exception.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Demotion_twice_adds_up_and_a_warning_shows_the_result()
    {
        using var ps = new PsSession(module);
        ps.ConnectSimulation();
        Assert.Empty(ps.Run("Set-CarpSysctl -Demotion 10").AssertNoErrors().Warnings);
        var second = ps.Run("Set-CarpSysctl -Demotion 10 -Verbose").AssertNoErrors();
        var warning = Assert.Single(second.Warnings).Message;
        Assert.Contains("it was 10, it is now 20", warning, StringComparison.Ordinal);
        Assert.Contains("-Demotion -20", warning, StringComparison.Ordinal);
        Assert.Contains(second.Verbose, v => v.Message.Contains("is now 20", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_error_id_the_module_writes_is_listed_in_about_CarpPS()
    {
        using var ps = new PsSession(module);
        var errors = Type("CarpPS.CarpErrors");
        var ids = (IReadOnlyList<string>)errors.GetProperty("AllIds", BindingFlags.Static | BindingFlags.Public)!.GetValue(null)!;
        // Every id constant of CarpErrors is in AllIds, so a new one cannot be left out of the list below.
        var constants = errors.GetFields(BindingFlags.Static | BindingFlags.Public).Where(f => f.IsLiteral).Select(f => (string)f.GetValue(null)!);
        Assert.All(constants, c => Assert.Contains(c, ids));
        // Custom errors take their id from CarpErrors (or a name for one of its constants), never from a literal.
        var sources = Directory.EnumerateFiles(Path.Combine(module.RepositoryRoot, "src", "CarpPS"), "*.cs", SearchOption.AllDirectories)
            .Select(File.ReadAllText);
        Assert.All(sources, text => Assert.DoesNotMatch(new Regex(@"CarpErrors\.Custom\([^;]*?\),\s*""\w+"""), text));

        var about = Regex.Replace(File.ReadAllText(Path.Combine(module.ModuleDirectory, "en-US", "about_CarpPS.help.txt")), @"\s+", " ");
        var errorsSection = about[about.IndexOf("ERRORS", StringComparison.Ordinal)..about.IndexOf("COMPATIBILITY PROFILES", StringComparison.Ordinal)];
        Assert.All(ids, id => Assert.Matches(new Regex($@"\b{id}\b"), errorsSection));
    }

    [Fact]
    public void Every_cmdlet_has_a_HelpUri_to_its_help_source_in_the_repository()
    {
        using var ps = new PsSession(module);
        var commands = ps.Run("Get-Command -Module CarpPS -CommandType Cmdlet | ForEach-Object { '{0}|{1}' -f $_.Name, $_.HelpUri }").AssertNoErrors().Output;
        // One cmdlet per help source (src/CarpPS/Help/<cmdlet>.md): none is missing from the module.
        Assert.Equal(Directory.GetFiles(Path.Combine(module.RepositoryRoot, "src", "CarpPS", "Help"), "*.md").Length, commands.Count);
        var baseUri = (string)Type("CarpPS.Commands.CarpHelpUri").GetField("Base", BindingFlags.Static | BindingFlags.Public)!.GetValue(null)!;
        foreach (var line in commands.Select(o => o.ToString()))
        {
            var (name, uri) = (line.Split('|')[0], line.Split('|')[1]);
            Assert.Equal(baseUri + name + ".md", uri);
            Assert.True(File.Exists(Path.Combine(module.RepositoryRoot, "src", "CarpPS", "Help", name + ".md")), $"{name}.md is missing");
        }
    }

    [Fact]
    public void Action_Id_completes_with_the_registered_actions()
    {
        using var ps = new PsSession(module);
        ps.ConnectSimulation();
        var id = ps.Run("(Register-CarpAction -ScriptBlock { 'x' }).Id").AssertNoErrors().Output[0].ToString();
        try
        {
            foreach (var input in new[] { "Unregister-CarpAction -Id ", "Get-CarpAction -Id " })
            {
                using var shell = PowerShell.Create(ps.Runspace);
                var completion = CommandCompletion.CompleteInput(input, input.Length, null, shell);
                Assert.Contains(id, completion.CompletionMatches.Select(m => m.CompletionText));
            }
        }
        finally
        {
            ps.Run("Get-CarpAction | Unregister-CarpAction");
        }
    }

    [Fact]
    public void NotPermitted_advice_offers_the_simulation()
    {
        using var ps = new PsSession(module);
        var advice = (string)Type("CarpPS.CarpAdvice").GetMethod("For", BindingFlags.Static | BindingFlags.Public)!
            .Invoke(null, [Carp.Engine.Core.CarpErrorCode.NotPermitted])!;
        Assert.Contains("Connect-CarpService -Simulation", advice, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_shows_Read_Host_AsSecureString_first_and_says_PSReadLine_keeps_a_plain_pass()
    {
        foreach (var name in new[] { "New-CarpInterface", "Set-CarpInterface" })
        {
            var text = File.ReadAllText(Path.Combine(module.RepositoryRoot, "src", "CarpPS", "Help", name + ".md"));
            var firstPass = Regex.Match(text, @"```powershell[^`]*-Pass [^`]*```");
            Assert.Contains("Read-Host -AsSecureString", firstPass.Value, StringComparison.Ordinal);
            Assert.Contains("password|asplaintext|token|apikey|secret", text, StringComparison.Ordinal);
        }
    }

    private static Type Type(string name) => AppDomain.CurrentDomain.GetAssemblies().Single(a => a.GetName().Name == "CarpPS").GetType(name, throwOnError: true)!;
}
