using System.Management.Automation;
using System.Management.Automation.Language;

namespace CarpPS.Tests.Help;

/// <summary>
/// Checks PowerShell text against the module's metadata: it parses, and every CarpPS command it calls
/// exists with every named parameter it passes (full names or unambiguous prefixes, common parameters included).
/// </summary>
public static class ScriptCheck
{
    public static List<string> Problems(Ast ast, IReadOnlyDictionary<string, CmdletInfo> cmdlets, string where)
    {
        var problems = new List<string>();
        foreach (var command in ast.FindAll(a => a is CommandAst, searchNestedScriptBlocks: true).Cast<CommandAst>())
        {
            var name = command.GetCommandName();
            if (name is null || !name.Contains("-Carp", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (!cmdlets.TryGetValue(name, out var cmdlet))
            {
                problems.Add($"{where}: '{name}' is not a CarpPS command (line {command.Extent.StartLineNumber}).");
                continue;
            }

            foreach (var parameter in command.CommandElements.OfType<CommandParameterAst>())
            {
                var matches = cmdlet.Parameters.Keys
                    .Where(p => p.StartsWith(parameter.ParameterName, StringComparison.OrdinalIgnoreCase))
                    .ToList();
                var exact = matches.Any(p => string.Equals(p, parameter.ParameterName, StringComparison.OrdinalIgnoreCase));
                if (!exact && matches.Count != 1)
                {
                    problems.Add($"{where}: {name} has no parameter -{parameter.ParameterName} (line {parameter.Extent.StartLineNumber}).");
                }
            }
        }

        return problems;
    }

    public static Ast Parse(string text, string where, List<string> problems)
    {
        var ast = Parser.ParseInput(text, out _, out var errors);
        problems.AddRange(errors.Select(e => $"{where}: parse error at line {e.Extent.StartLineNumber}: {e.Message}"));
        return ast;
    }
}
