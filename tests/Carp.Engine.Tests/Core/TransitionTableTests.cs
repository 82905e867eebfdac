using Carp.Engine.Core;

namespace Carp.Engine.Tests.Core;

/// <summary>
/// The transition table of docs/ARCHITECTURE.md against the code: every <see cref="TransitionReason"/> has a scenario that reaches it
/// (see <see cref="TransitionScenarios"/>) and exactly one table row, whose From and To cells say what the scenario saw.
/// </summary>
public sealed class TransitionTableTests
{
    private const string TablePath = "docs/ARCHITECTURE.md";

    /// <summary>Every enum member, so a new reason without a scenario and a row fails here.</summary>
    public static TheoryData<TransitionReason> Reasons()
    {
        var data = new TheoryData<TransitionReason>();
        foreach (var reason in Enum.GetValues<TransitionReason>())
        {
            data.Add(reason);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Reasons))]
    public void Each_reason_is_reached_by_its_event_with_the_actions_of_its_row(TransitionReason reason)
    {
        var observed = TransitionScenarios.Run(reason);

        Assert.NotEmpty(observed);
    }

    [Fact]
    public void The_table_has_exactly_one_row_per_reason_in_enum_order()
    {
        var reasons = ReadTable().Select(line => ParseReason(Cells(line)[0]));

        Assert.Equal(Enum.GetNames<TransitionReason>(), reasons);
    }

    [Theory]
    [MemberData(nameof(Reasons))]
    public void The_rows_from_and_to_cells_are_what_the_scenario_observed(TransitionReason reason)
    {
        var line = Assert.Single(ReadTable(), l => Cells(l)[0] == $"`{reason}`");
        var row = ParseRow(line);

        var observed = TransitionScenarios.Run(reason).Distinct().Order();

        Assert.Equal(row.Transitions.Distinct().Order(), observed);
    }

    [Theory]
    [InlineData("| `Started` | INIT | added | BACKUP | a | b |", "Started", "Init>Backup")]
    [InlineData("| `Forced` | BACKUP / MASTER | x | MASTER / BACKUP | a | b |", "Forced", "Backup>Master Master>Backup")]
    [InlineData("|`Removed`|Master / backup|x|INIT|a|b|", "Removed", "Master>Init Backup>Init")]
    public void A_row_pairs_its_from_and_to_states(string line, string reason, string transitions)
    {
        var row = ParseRow(line);

        Assert.Equal(reason, row.Reason);
        Assert.Equal(transitions, string.Join(' ', row.Transitions.Select(t => $"{t.From}>{t.To}")));
    }

    [Theory]
    [InlineData("| Started | INIT | x | BACKUP | a | b |")]               // reason not in backticks
    [InlineData("| `Started` | INIT | x | BACKUP | a |")]                // a column missing
    [InlineData("| `Started` | INIT | x | STANDBY | a | b |")]           // not a state
    [InlineData("| `Started` | 0 | x | BACKUP | a | b |")]               // a number, not a state name
    [InlineData("| `Forced` | BACKUP / MASTER | x | MASTER / BACKUP / INIT | a | b |")] // To neither one state nor one per From
    public void A_malformed_row_is_refused(string line)
    {
        Assert.Throws<FormatException>(() => ParseRow(line));
    }

    // ---- The table ----------------------------------------------------------------------------

    internal sealed record Row(string Reason, IReadOnlyList<(CarpState From, CarpState To)> Transitions);

    /// <summary>The row lines of the first table whose header starts with "| Reason | From |", in file order.</summary>
    internal static IReadOnlyList<string> ReadTable()
    {
        var lines = File.ReadAllLines(Path.Combine(RepoRoot(), TablePath));
        var header = Array.FindIndex(lines, l => l.StartsWith("| Reason | From |", StringComparison.Ordinal));
        Assert.True(header >= 0, $"{TablePath} has no table starting with '| Reason | From |'.");
        Assert.Equal(["Reason", "From", "Event (input)", "To"], Cells(lines[header])[..4]);
        Assert.StartsWith("|---", lines[header + 1], StringComparison.Ordinal);

        return lines.Skip(header + 2).TakeWhile(l => l.StartsWith('|')).ToArray();
    }

    /// <summary>
    /// Reads a row: the reason in backticks, From as states separated by " / ", To as one state for every From or one per
    /// From in the same order.
    /// </summary>
    internal static Row ParseRow(string line)
    {
        var cells = Cells(line);
        if (cells.Length != 6)
        {
            throw new FormatException($"Expected 6 cells, found {cells.Length}: {line}");
        }

        var reason = ParseReason(cells[0]);
        var from = States(cells[1]);
        var to = States(cells[3]);
        if (to.Length != 1 && to.Length != from.Length)
        {
            throw new FormatException($"To must name one state, or one per From state: {line}");
        }

        return new Row(reason, from.Select((f, i) => (f, to.Length == 1 ? to[0] : to[i])).ToArray());
    }

    private static string ParseReason(string cell) =>
        cell.Length > 2 && cell[0] == '`' && cell[^1] == '`' ? cell[1..^1] : throw new FormatException($"The reason must be in backticks: {cell}");

    private static string[] Cells(string line) =>
        line.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray();

    private static CarpState[] States(string cell) =>
        cell.Split('/').Select(s => s.Trim().All(char.IsAsciiLetter) && Enum.TryParse<CarpState>(s.Trim(), ignoreCase: true, out var state)
            ? state
            : throw new FormatException($"'{s.Trim()}' is not a CARP state.")).ToArray();

    /// <summary>The repository these tests were built from (wherever the build output went).</summary>
    private static string RepoRoot() => typeof(TransitionTableTests).Assembly
        .GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
        .Cast<System.Reflection.AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepositoryRoot").Value!;
}
