namespace Carp.Control;

/// <summary>
/// What carpd's <c>reload</c> did (docs/carpd-protocol.md#reload): the interfaces of the configuration
/// file by name, sorted by what happened to them, and the sysctls it set (<c>name=value</c> as the file
/// writes them). Carries no pass.
/// </summary>
public sealed record ConfigurationReloadResult
{
    /// <summary>Created: new in the file, or in it before but not running (e.g. its carpdev was missing).</summary>
    public IReadOnlyList<string> Added { get; init; } = [];

    /// <summary>Changed in place (only what differs), or re-created when only that can apply the change (peer, peer6).</summary>
    public IReadOnlyList<string> Changed { get; init; } = [];

    /// <summary>Gone from the file: destroyed (a MASTER bows out).</summary>
    public IReadOnlyList<string> Removed { get; init; } = [];

    /// <summary>Not touched at all: state, timers and addresses as they were.</summary>
    public IReadOnlyList<string> Unchanged { get; init; } = [];

    /// <summary>The sysctls set, as <c>name=value</c> (short names).</summary>
    public IReadOnlyList<string> Sysctls { get; init; } = [];

    public override string ToString() =>
        $"{Added.Count} added, {Changed.Count} changed, {Removed.Count} removed, {Unchanged.Count} unchanged, {Sysctls.Count} sysctl(s) set" +
        Detail("added", Added) + Detail("changed", Changed) + Detail("removed", Removed) + Detail("set", Sysctls);

    private static string Detail(string what, IReadOnlyList<string> names) => names.Count == 0 ? string.Empty : $"; {what} {string.Join(' ', names)}";
}
