using System.Management.Automation;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;

namespace CarpPS.Commands;

/// <summary>
/// Base of every cmdlet that talks to an engine: the -Session parameter, lazy resolution of the engine
/// (an engine that cannot be reached stops the command), and the error conventions.
/// </summary>
public abstract class CarpCmdlet : PSCmdlet
{
    private ICarpService? _service;
    private CarpSession? _session;

    /// <summary>A session from Connect-CarpService -PassThru; without it the module's current connection (or the in-process engine) is used.</summary>
    [Parameter]
    public CarpSession? Session { get; set; }

    /// <summary>The engine; resolving it may stop the command with NotPermitted, LibpcapMissing or ServiceUnreachable.</summary>
    internal ICarpService Service
    {
        get
        {
            if (_service is null)
            {
                try
                {
                    var session = Session ?? CarpSessionRegistry.Current();
                    _service = session.Service;
                    _session = session;
                }
                catch (Exception e)
                {
                    ThrowTerminatingError(CarpErrors.FromException(e, Session));
                }
            }

            return _service!;
        }
    }

    /// <summary>The kind of engine <see cref="Service"/> talks to (resolving it first).</summary>
    internal CarpSessionKind SessionKind
    {
        get
        {
            _ = Service;
            return _session!.Kind;
        }
    }

    /// <summary>Runs one request; a refusal becomes a non-terminating error on <paramref name="target"/>.</summary>
    internal bool TryRun(object? target, Action action)
    {
        try
        {
            action();
            return true;
        }
        catch (Exception e) when (e is not (PipelineStoppedException or ActionPreferenceStopException))
        {
            WriteError(CarpErrors.FromException(e, target));
            return false;
        }
    }

    internal void WriteCarpError(CarpErrorCode code, string message, string? action, object? target) =>
        WriteError(CarpErrors.Create(code, message, action, target));

    internal void ThrowCarpError(CarpErrorCode code, string message, string? action, object? target) =>
        ThrowTerminatingError(CarpErrors.Create(code, message, action, target));

    /// <summary>The interfaces whose names match <paramref name="names"/> (wildcards allowed); a literal name that matches nothing is an error.</summary>
    internal IEnumerable<VirtualHostStatus> SelectInterfaces(IReadOnlyList<string>? names)
    {
        var service = Service;
        IReadOnlyList<VirtualHostStatus> all = [];
        if (!TryRun(names, () => all = service.GetInterfaces()))
        {
            return [];
        }

        var sorted = all.OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
        if (names is null || names.Count == 0)
        {
            return sorted;
        }

        var selected = new List<VirtualHostStatus>();
        foreach (var name in names)
        {
            var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
            var matches = sorted.Where(s => pattern.IsMatch(s.Name)).ToList();
            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
            {
                WriteNotFound(name);
            }

            selected.AddRange(matches.Where(m => !selected.Contains(m)));
        }

        return selected;
    }

    /// <summary>The interface named exactly <paramref name="name"/>, or null after writing InterfaceNotFound.</summary>
    internal VirtualHostStatus? FindInterface(string name)
    {
        var service = Service;
        VirtualHostStatus? found = null;
        if (TryRun(name, () => found = service.GetInterfaces().FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.Ordinal))) && found is null)
        {
            WriteNotFound(name);
        }

        return found;
    }

    private void WriteNotFound(string name) => WriteError(CarpErrors.FromException(CarpRefusals.NoSuchInterface(name), name));

    /// <summary>
    /// The second confirmation of a change that forces a failover, emulating ConfirmImpact.High: asks
    /// unless -Force, an explicit -Confirm (ShouldProcess already asked) or -Confirm:$false, a
    /// $ConfirmPreference of Medium or Low (ShouldProcess of these Medium cmdlets already asked), or None.
    /// </summary>
    /// <remarks>
    /// A host that cannot ask (pwsh -NonInteractive, a runspace without a UI) gets a FailoverConfirmationRequired error on
    /// <paramref name="target"/> instead of PowerShell's generic "Read and Prompt functionality is not available".
    /// </remarks>
    internal bool ConfirmFailover(bool force, string query, object? target, ref bool yesToAll, ref bool noToAll)
    {
        if (force || MyInvocation.BoundParameters.ContainsKey("Confirm"))
        {
            return true;
        }

        // A High-impact cmdlet asks whenever $ConfirmPreference is not None. These cmdlets are Medium: when the preference is
        // Medium or Low, ShouldProcess has already asked, and one question is enough.
        var preference = GetVariableValue("ConfirmPreference") is { } value &&
            LanguagePrimitives.TryConvertTo(value, out ConfirmImpact impact) ? impact : ConfirmImpact.High;
        if (preference is ConfirmImpact.None or ConfirmImpact.Low or ConfirmImpact.Medium)
        {
            return true;
        }

        try
        {
            return ShouldContinue(query + " Use -Force to skip this question.", "Confirm failover", ref yesToAll, ref noToAll);
        }
        catch (Exception e) when (e is InvalidOperationException or System.Management.Automation.Host.HostException or NotImplementedException)
        {
            WriteError(CarpErrors.Custom(new InvalidOperationException($"{query} This change needs a confirmation, and this PowerShell host cannot ask (non-interactive); nothing was changed.", e),
                CarpErrors.FailoverConfirmationRequired, ErrorCategory.InvalidOperation,
                "If the failover is wanted, run the command again with -Force (or -Confirm:$false); in scripts, decide before and pass -Force.", target));
            return false;
        }
    }

    /// <summary>Another host's advertisement was heard on this vhid: a peer that can take over, or be taken over from.</summary>
    internal static bool PeerSeen(VirtualHostStatus status) => status.MasterSeen is not null;

    /// <summary>
    /// Local checks of the numbers ifconfig takes (null = not given), so their error ids do not depend on the engine
    /// (an int outside a byte would otherwise wrap). The ranges are <see cref="CarpLimits"/>; the advice is <see cref="CarpAdvice"/>.
    /// </summary>
    internal static CarpException? CheckTiming(int? vhid, int? advBase, int? advSkew)
    {
        if (vhid is { } v && !CarpLimits.IsValidVhid(v))
        {
            return new CarpException(CarpErrorCode.InvalidVhid, $"vhid {v} is not valid.");
        }

        if (advBase is { } b && !CarpLimits.IsValidAdvBase(b))
        {
            return new CarpException(CarpErrorCode.InvalidAdvBase, $"advbase {b} is not valid.");
        }

        if (advSkew is { } s && !CarpLimits.IsValidAdvSkew(s))
        {
            return new CarpException(CarpErrorCode.InvalidAdvSkew,
                s == CarpConstants.BowOut ? $"advskew {s} is reserved for bow-out advertisements." : $"advskew {s} is not valid.");
        }

        return null;
    }

    /// <summary>Parses 192.0.2.1/24-style addresses; the first bad one is returned as an error.</summary>
    internal static CarpException? ParseAddresses(IReadOnlyList<string> text, out List<CarpAddress> addresses)
    {
        addresses = [];
        foreach (var item in text)
        {
            if (!CarpAddress.TryParse(item, out var address, out var error))
            {
                return new CarpException(CarpErrorCode.InvalidAddress, error);
            }

            addresses.Add(address);
        }

        return null;
    }
}
