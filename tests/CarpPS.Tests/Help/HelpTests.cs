using System.Management.Automation;

namespace CarpPS.Tests.Help;

public sealed class HelpTests(ModuleFixture module)
{
    private string HelpDirectory => Path.Combine(module.RepositoryRoot, "src", "CarpPS", "Help");

    private string MamlPath => Path.Combine(module.RepositoryRoot, "en-US", "CarpPS.dll-Help.xml");

    [Fact]
    public void Every_cmdlet_and_parameter_has_help_text()
    {
        using var ps = new PsSession(module);
        var cmdlets = Cmdlets(ps);
        var problems = new List<string>();
        var files = Directory.GetFiles(HelpDirectory, "*.md").Select(Path.GetFileNameWithoutExtension).ToHashSet(StringComparer.Ordinal);
        foreach (var stray in files.Except(cmdlets.Keys))
        {
            problems.Add($"{stray}.md documents no exported cmdlet.");
        }

        foreach (var cmdlet in cmdlets.Values)
        {
            var path = Path.Combine(HelpDirectory, cmdlet.Name + ".md");
            if (!File.Exists(path))
            {
                problems.Add($"{cmdlet.Name}: no {path}.");
                continue;
            }

            var source = HelpSource.Parse(path);
            Check(source.Name == cmdlet.Name, $"{path}: title is '{source.Name}'.");
            Check(source.Synopsis.Count > 0, $"{cmdlet.Name}: no SYNOPSIS.");
            Check(source.Description.Count > 0, $"{cmdlet.Name}: no DESCRIPTION.");
            Check(source.Examples.Count > 0, $"{cmdlet.Name}: no EXAMPLES.");
            Check(source.Examples.All(e => e.Code.Count > 0), $"{cmdlet.Name}: an example has no code.");
            Check(source.Outputs.Count > 0 && source.Inputs.Count > 0, $"{cmdlet.Name}: INPUTS or OUTPUTS missing.");
            foreach (var parameter in MamlGenerator.DocumentedParameters(cmdlet).Where(p => p is not ("WhatIf" or "Confirm")))
            {
                Check(source.Parameters.TryGetValue(parameter, out var help) && help.Description.Count > 0, $"{cmdlet.Name}: -{parameter} is not described.");
            }

            foreach (var documented in source.Parameters.Keys.Where(p => !cmdlet.Parameters.ContainsKey(p)))
            {
                problems.Add($"{cmdlet.Name}: documents -{documented}, which it does not have.");
            }

            var declared = cmdlet.OutputType.Select(t => t.Type == typeof(void) ? "None" : t.Name).Order().ToList();
            var written = source.Outputs.Select(o => o.Type).Order().ToList();
            Check(declared.SequenceEqual(written), $"{cmdlet.Name}: OUTPUTS lists {string.Join(", ", written)} but [OutputType] says {string.Join(", ", declared)}.");
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));

        void Check(bool condition, string problem)
        {
            if (!condition)
            {
                problems.Add(problem);
            }
        }
    }

    [Fact]
    public void The_MAML_file_is_generated_from_the_sources()
    {
        // Regenerate with: CARPPS_UPDATE_HELP=1 /tmp/art-ps/bin/CarpPS.Tests/debug/CarpPS.Tests -method '*The_MAML_file_is_generated_from_the_sources'
        using var ps = new PsSession(module);
        var cmdlets = Cmdlets(ps);
        var sources = cmdlets.Keys.ToDictionary(n => n, n => HelpSource.Parse(Path.Combine(HelpDirectory, n + ".md")));
        var generated = MamlGenerator.Generate(cmdlets.Values, sources);
        if (Environment.GetEnvironmentVariable("CARPPS_UPDATE_HELP") == "1")
        {
            File.WriteAllText(MamlPath, generated);
        }

        Assert.True(File.Exists(MamlPath) && File.ReadAllText(MamlPath) == generated,
            "en-US/CarpPS.dll-Help.xml is stale: regenerate it with CARPPS_UPDATE_HELP=1 (see this test).");
    }

    [Fact]
    public void Get_Help_Full_shows_synopsis_description_examples_and_every_parameter()
    {
        using var ps = new PsSession(module);
        var problems = new List<string>();
        foreach (var cmdlet in Cmdlets(ps).Values)
        {
            var help = Assert.Single(ps.Run("Get-Help $args[0] -Full", cmdlet.Name).AssertNoErrors().Output);
            var synopsis = help.Properties["Synopsis"]?.Value?.ToString()?.Trim() ?? string.Empty;
            if (synopsis.Length == 0 || synopsis.StartsWith(cmdlet.Name, StringComparison.Ordinal))
            {
                problems.Add($"{cmdlet.Name}: no synopsis (Get-Help found no MAML?).");
                continue;
            }

            var description = ps.Run("$args[0].description.Text -join ''", help).Output.FirstOrDefault()?.ToString();
            if (string.IsNullOrWhiteSpace(description))
            {
                problems.Add($"{cmdlet.Name}: no description.");
            }

            var examples = ps.Run("@($args[0].examples.example).Count", help).Output[0].BaseObject;
            if (examples is not int count || count == 0)
            {
                problems.Add($"{cmdlet.Name}: no examples.");
            }

            var described = ps.Run("$args[0].parameters.parameter | Where-Object { ($_.description.Text -join '').Trim() } | ForEach-Object name", help)
                .Output.Select(o => o.ToString()).ToHashSet(StringComparer.OrdinalIgnoreCase);
            foreach (var parameter in MamlGenerator.DocumentedParameters(cmdlet).Where(p => !described.Contains(p)))
            {
                problems.Add($"{cmdlet.Name}: Get-Help shows no description of -{parameter}.");
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Theory]
    [InlineData("about_CarpPS", "Connect-CarpService -Simulation")]
    [InlineData("about_CarpPS_Events", "Register-CarpEvent")]
    public void About_topics_are_found_by_Get_Help(string topic, string mentions)
    {
        using var ps = new PsSession(module);
        var text = string.Join("\n", ps.Run("Get-Help $args[0]", topic).AssertNoErrors().Output.Select(o => o.ToString()));
        Assert.Contains(mentions, text);
    }

    [Fact]
    public void Every_example_parses_and_uses_existing_commands_and_parameters()
    {
        using var ps = new PsSession(module);
        var cmdlets = Cmdlets(ps);
        var problems = new List<string>();
        foreach (var path in Directory.GetFiles(HelpDirectory, "*.md"))
        {
            var source = HelpSource.Parse(path);
            foreach (var example in source.Examples)
            {
                var where = $"{source.Name} '{example.Title}'";
                var ast = ScriptCheck.Parse(string.Join("\n", example.Code), where, problems);
                problems.AddRange(ScriptCheck.Problems(ast, cmdlets, where));
            }
        }

        foreach (var about in Directory.GetFiles(Path.Combine(module.RepositoryRoot, "en-US"), "about_*.help.txt"))
        {
            var examples = AboutExamples(File.ReadAllLines(about));
            if (examples.Count == 0)
            {
                problems.Add($"{Path.GetFileName(about)}: no example (a block of lines indented by eight spaces whose first line starts with 'PS> ').");
            }

            foreach (var example in examples)
            {
                var where = $"{Path.GetFileName(about)} '{example[0].Trim()}'";
                var ast = ScriptCheck.Parse(string.Join("\n", example), where, problems);
                problems.AddRange(ScriptCheck.Problems(ast, cmdlets, where));
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>
    /// The examples of an about topic (see EXAMPLES IN THIS TOPIC in about_CarpPS): a block of lines indented by eight spaces whose
    /// first line starts with "PS> ", up to the next line that is blank or indented less; each line without the eight spaces and
    /// its "PS> ". tests/pester/CarpPS.HelpExamples.Tests.ps1 finds and runs them by the same rule.
    /// </summary>
    internal static List<List<string>> AboutExamples(IEnumerable<string> lines)
    {
        const string Indent = "        ";
        const string Prompt = "PS> ";
        var examples = new List<List<string>>();
        List<string>? block = null;
        foreach (var line in lines)
        {
            if (block is null && line.StartsWith(Indent + Prompt, StringComparison.Ordinal))
            {
                block = [];
                examples.Add(block);
            }
            else if (block is not null && (!line.StartsWith(Indent, StringComparison.Ordinal) || line.Trim().Length == 0))
            {
                block = null;
            }

            if (block is not null)
            {
                var code = line[Indent.Length..];
                block.Add(code.StartsWith(Prompt, StringComparison.Ordinal) ? code[Prompt.Length..] : code);
            }
        }

        return examples;
    }

    internal static Dictionary<string, CmdletInfo> Cmdlets(PsSession ps) =>
        ps.Run("Get-Command -Module CarpPS").AssertNoErrors().Output
            .Select(o => (CmdletInfo)o.BaseObject)
            .ToDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase);
}
