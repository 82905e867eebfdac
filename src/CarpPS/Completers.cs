using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace CarpPS;

/// <summary>Shared helpers of the argument completers. Completion never starts an engine: it asks only one already running.</summary>
internal static class CompletionHelper
{
    /// <summary>The session the command would use: its -Session argument, else the current one (never started here).</summary>
    public static CarpSession? SessionOf(IDictionary fakeBoundParameters) => fakeBoundParameters["Session"] switch
    {
        CarpSession s => s,
        PSObject { BaseObject: CarpSession s } => s,
        _ => CarpSessionRegistry.PeekCurrent(),
    };

    public static ICarpService? RunningService(IDictionary fakeBoundParameters) =>
        SessionOf(fakeBoundParameters) is { IsOpen: true } session ? session.Service : null;

    public static IReadOnlyList<VirtualHostStatus> Interfaces(IDictionary fakeBoundParameters)
    {
        try
        {
            return RunningService(fakeBoundParameters)?.GetInterfaces() ?? [];
        }
        catch (Exception)
        {
            return [];
        }
    }

    public static IEnumerable<CompletionResult> Complete(IEnumerable<(string Text, string ToolTip)> candidates, string wordToComplete)
    {
        var prefix = (wordToComplete ?? string.Empty).Trim('\'', '"');
        var pattern = new WildcardPattern(prefix + "*", WildcardOptions.IgnoreCase);
        return candidates
            .Where(c => pattern.IsMatch(c.Text))
            .Select(c => new CompletionResult(c.Text, c.Text, CompletionResultType.ParameterValue, c.ToolTip));
    }
}

/// <summary>Completes -Name with the carp interfaces of the current session.</summary>
public sealed class CarpInterfaceNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        CompletionHelper.Complete(
            CompletionHelper.Interfaces(fakeBoundParameters)
                .OrderBy(s => s.Name, StringComparer.Ordinal)
                .Select(s => (s.Name, $"{s.Name}: vhid {s.Vhid} on {s.CarpDev}, {s.State}")),
            wordToComplete);
}

/// <summary>Completes -CarpDev with the simulated carpdevs, or the network interfaces in /sys/class/net.</summary>
public sealed class CarpDevCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var session = CompletionHelper.SessionOf(fakeBoundParameters);
        IEnumerable<string> devices = session is { Kind: CarpSessionKind.Simulation } ? session.CarpDev : SystemInterfaces();
        return CompletionHelper.Complete(devices.Select(d => (d, d)), wordToComplete);
    }

    private static List<string> SystemInterfaces()
    {
        try
        {
            return Directory.Exists("/sys/class/net")
                ? Directory.EnumerateFileSystemEntries("/sys/class/net").Select(Path.GetFileName).OfType<string>()
                    .Where(n => n != "lo").Order(StringComparer.Ordinal).ToList()
                : [];
        }
        catch (IOException)
        {
            return [];
        }
        catch (UnauthorizedAccessException)
        {
            return [];
        }
    }
}

/// <summary>Completes -Vhid with the vhids still free on the chosen -CarpDev (all carpdevs when none is given).</summary>
public sealed class CarpVhidCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var carpDev = fakeBoundParameters["CarpDev"]?.ToString();
        var used = CompletionHelper.Interfaces(fakeBoundParameters)
            .Where(s => carpDev is null || string.Equals(s.CarpDev, carpDev, StringComparison.Ordinal))
            .Select(s => (int)s.Vhid)
            .ToHashSet();
        var free = Enumerable.Range(CarpLimits.VhidMin, CarpLimits.VhidMax - CarpLimits.VhidMin + 1).Where(v => !used.Contains(v))
            .Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return CompletionHelper.Complete(free.Select(v => (v, carpDev is null ? $"vhid {v} (free)" : $"vhid {v} (free on {carpDev})")), wordToComplete);
    }
}

/// <summary>Completes -Id of Get-CarpAction and Unregister-CarpAction with the actions registered in this session.</summary>
public sealed class CarpActionIdCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        CompletionHelper.Complete(
            CarpActionHost.Visible(System.Management.Automation.Runspaces.Runspace.DefaultRunspace)
                .OrderBy(r => r.Id)
                .Select(r => (r.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    $"CARP action {r.Id}: {(r.Name.Count > 0 ? string.Join(", ", r.Name) : "every interface")}" +
                    (r.EventType.Count > 0 ? $" ({string.Join(", ", r.EventType)})" : string.Empty))),
            wordToComplete);
}
