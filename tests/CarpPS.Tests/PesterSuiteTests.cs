using System.Management.Automation.Language;
using CarpPS.Tests.Help;

namespace CarpPS.Tests;

/// <summary>tests/pester cannot run here (no pwsh, no Pester), so it is checked statically against the module.</summary>
public sealed class PesterSuiteTests(ModuleFixture module)
{
    private string SuitePath => Path.Combine(module.RepositoryRoot, "tests", "pester", "CarpPS.Tests.ps1");

    [Fact]
    public void The_Pester_suite_parses_and_uses_only_existing_commands_and_parameters()
    {
        var ast = Parser.ParseFile(SuitePath, out _, out var errors);
        Assert.Empty(errors);

        using var ps = new PsSession(module);
        var cmdlets = HelpTests.Cmdlets(ps);
        var problems = ScriptCheck.Problems(ast, cmdlets, "tests/pester/CarpPS.Tests.ps1");
        Assert.True(problems.Count == 0, string.Join("\n", problems));

        // It exercises every cmdlet, with Pester 5 structure.
        var used = ast.FindAll(a => a is CommandAst, true).Cast<CommandAst>().Select(c => c.GetCommandName()).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);
        var unused = cmdlets.Keys.Where(c => !used.Contains(c)).ToList();
        Assert.True(unused.Count == 0, "The Pester suite does not use: " + string.Join(", ", unused));
        foreach (var keyword in new[] { "BeforeAll", "BeforeDiscovery", "Describe", "It", "Should", "BeforeEach", "AfterEach" })
        {
            Assert.Contains(keyword, used);
        }
    }

    [Fact]
    public void The_check_finds_an_unknown_parameter_or_command()
    {
        using var ps = new PsSession(module);
        var cmdlets = HelpTests.Cmdlets(ps);
        var ast = Parser.ParseInput("New-CarpInterface -Name a -Vhidd 1; Get-CarpFoo; Set-CarpInterface -A 1; Get-CarpStatus -Na x", out _, out _);
        var problems = ScriptCheck.Problems(ast, cmdlets, "sample");
        Assert.Equal(3, problems.Count);
        Assert.Contains(problems, p => p.Contains("-Vhidd", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Get-CarpFoo", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("-A ", StringComparison.Ordinal));
    }
}
