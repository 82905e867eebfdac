using System.Globalization;

namespace Carpd.Notify;

/// <summary>
/// The state word a notify hook and the event stream see (docs/protocol.md#notify-states): MASTER, BACKUP and INIT as
/// the engine reports them, except that an INIT caused by a failure (<see cref="NotifyStates.FaultReasons"/>) is
/// <see cref="Fault"/>. <see cref="Any"/> is only a hook's selector: every state.
/// </summary>
public enum NotifyState
{
    Any,
    Master,
    Backup,
    Init,
    Fault,
}

/// <summary>
/// <c>notify STATE PATH [NAME ...] [group GROUP ...]</c>: run <see cref="Path"/> when a virtual host enters
/// <see cref="State"/>. Without names and groups it applies to every virtual host (a global hook); otherwise to those
/// named and those in one of the groups.
/// </summary>
public sealed record NotifyHook(NotifyState State, string Path, IReadOnlyList<string> Interfaces, IReadOnlyList<string> Groups)
{
    public bool IsGlobal => Interfaces.Count == 0 && Groups.Count == 0;

    /// <summary>Whether this hook runs for <paramref name="state"/> of <paramref name="name"/> (a member of <paramref name="groups"/>).</summary>
    public bool Matches(NotifyState state, string name, IReadOnlyList<string> groups) =>
        (State == NotifyState.Any || State == state) &&
        (IsGlobal || Interfaces.Contains(name, StringComparer.Ordinal) || Groups.Any(g => groups.Contains(g, StringComparer.Ordinal)));

    /// <summary>The statement as the configuration file writes it.</summary>
    public string Statement()
    {
        var words = new List<string> { "notify", NotifyStates.Word(State), Path };
        words.AddRange(Interfaces);
        foreach (var group in Groups)
        {
            words.Add("group");
            words.Add(group);
        }

        return string.Join(' ', words);
    }

    public bool Equals(NotifyHook? other) => other is not null && Statement() == other.Statement();

    public override int GetHashCode() => Statement().GetHashCode(StringComparison.Ordinal);

    public override string ToString() => Statement();
}

/// <summary>
/// carpd's notify configuration: the hooks in file order, their timeout (<c>notify timeout SECONDS</c>) and the
/// event FIFO (<c>notify_fifo PATH</c>). Immutable; compared by the statements it stands for.
/// </summary>
public sealed record NotifySettings
{
    public const int DefaultTimeoutSeconds = 10;
    public const int MinTimeoutSeconds = 1;
    public const int MaxTimeoutSeconds = 3600;

    public static NotifySettings Empty { get; } = new();

    public IReadOnlyList<NotifyHook> Hooks { get; init; } = [];

    /// <summary>As written with <c>notify timeout</c>; null: the default, <see cref="DefaultTimeoutSeconds"/>.</summary>
    public int? TimeoutSeconds { get; init; }

    public TimeSpan Timeout => TimeSpan.FromSeconds(TimeoutSeconds ?? DefaultTimeoutSeconds);

    /// <summary>The FIFO every state change is written to as a JSON line; null: none.</summary>
    public string? Fifo { get; init; }

    public bool IsEmpty => Hooks.Count == 0 && TimeoutSeconds is null && Fifo is null;

    /// <summary>The statements of the configuration file that give these settings, in the order the formatter writes them.</summary>
    public IEnumerable<string> Statements()
    {
        if (TimeoutSeconds is { } seconds)
        {
            yield return TimeoutStatement(seconds);
        }

        if (Fifo is not null)
        {
            yield return FifoStatement(Fifo);
        }

        foreach (var hook in Hooks)
        {
            yield return hook.Statement();
        }
    }

    public static string TimeoutStatement(int seconds) => "notify timeout " + seconds.ToString(CultureInfo.InvariantCulture);

    public static string FifoStatement(string path) => "notify_fifo " + path;

    public bool Equals(NotifySettings? other) => other is not null && Statements().SequenceEqual(other.Statements(), StringComparer.Ordinal);

    public override int GetHashCode() => string.Join('\n', Statements()).GetHashCode(StringComparison.Ordinal);

    /// <summary>One line for the log: how many hooks, the timeout, the FIFO.</summary>
    public override string ToString() =>
        $"{Hooks.Count} notify hook(s), timeout {(int)Timeout.TotalSeconds} s, " + (Fifo is null ? "no event FIFO" : $"event FIFO {Fifo}");
}
