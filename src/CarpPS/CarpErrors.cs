using System.Management.Automation;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace CarpPS;

/// <summary>
/// Turns refusals into ErrorRecords: the error id is the <see cref="CarpErrorCode"/> name (PowerShell
/// appends the command, e.g. <c>InvalidVhid,CarpPS.Commands.NewCarpInterfaceCommand</c>), with a
/// category and an ErrorDetails.RecommendedAction that says what to do.
/// </summary>
internal static class CarpErrors
{
    /// <summary>Id of the error Wait-CarpState writes when the state is not reached in time.</summary>
    public const string WaitTimeout = "WaitTimeout";

    /// <summary>Id of the error a change that forces a failover writes when it needs a confirmation and the host cannot ask (pwsh -NonInteractive).</summary>
    public const string FailoverConfirmationRequired = "FailoverConfirmationRequired";

    /// <summary>Id of the error Set-CarpInterface writes for a -Demote step out of range.</summary>
    public const string InvalidDemote = "InvalidDemote";

    /// <summary>Id of the error Get-/Unregister-CarpAction write for an Id that is not registered.</summary>
    public const string CarpActionNotFound = "CarpActionNotFound";

    /// <summary>Id of the refusal of a virtual address another vhid already carries (outside an ARP-balancing set).</summary>
    public const string DuplicateAddress = "DuplicateAddress";

    /// <summary>Id of the refusal of a virtual address that is one of the carpdev's own addresses.</summary>
    public const string CarpDevAddress = "CarpDevAddress";

    /// <summary>Id of the error Invoke-CarpFailoverTest writes for an interface that is not MASTER (or is suspended): there is nothing to hand over.</summary>
    public const string FailoverTestNotMaster = "FailoverTestNotMaster";

    /// <summary>Id of the error Register-CarpFailoverTest writes for an OnCalendar expression systemd does not accept (nothing is written).</summary>
    public const string InvalidCalendar = "InvalidCalendar";

    /// <summary>Id of the error Invoke-/Get-CarpFailoverTest write when the history file cannot be written or read.</summary>
    public const string FailoverHistoryUnavailable = "FailoverHistoryUnavailable";

    /// <summary>Id of the error Unregister-CarpFailoverTest writes for a name that has no scheduled test.</summary>
    public const string FailoverTestNotScheduled = "FailoverTestNotScheduled";

    /// <summary>Every error id the module writes: the engine's refusal codes and the module's own ids (about_CarpPS lists them all).</summary>
    public static IReadOnlyList<string> AllIds { get; } =
        [.. Enum.GetNames<CarpErrorCode>(), WaitTimeout, FailoverConfirmationRequired, InvalidDemote, CarpActionNotFound, DuplicateAddress, CarpDevAddress,
         FailoverTestNotMaster, InvalidCalendar, FailoverHistoryUnavailable, FailoverTestNotScheduled];

    /// <summary>Key under which a refusal raised by the module itself carries advice more specific than its code's.</summary>
    private const string AdviceKey = "CarpPS.RecommendedAction";

    public static ErrorRecord Create(CarpErrorCode code, string message, string? recommendedAction, object? target) =>
        FromException(recommendedAction is null ? new CarpException(code, message) : Refusal(code, message, recommendedAction), target);

    /// <summary>A refusal of the module itself, with what the user should do about it in PowerShell terms.</summary>
    public static CarpException Refusal(CarpErrorCode code, string message, string recommendedAction, Exception? inner = null)
    {
        var exception = new CarpException(code, message, inner);
        exception.Data[AdviceKey] = recommendedAction;
        return exception;
    }

    /// <summary>Any exception becomes a record; one that is not a <see cref="CarpException"/> is reported as ServiceError.</summary>
    public static ErrorRecord FromException(Exception exception, object? target)
    {
        var carp = exception as CarpException ?? Refusal(CarpErrorCode.ServiceError,
            $"The CARP service failed: {exception.Message}",
            "Run the command again; if it keeps failing, report it with $Error[0].Exception.InnerException.", exception);
        var record = new ErrorRecord(carp, carp.Code.ToString(), Category(carp.Code), target)
        {
            ErrorDetails = new ErrorDetails(carp.Message) { RecommendedAction = carp.Data[AdviceKey] as string ?? CarpAdvice.For(carp.Code) },
        };
        return record;
    }

    /// <summary>An error that is not a refusal of the engine (such as <see cref="WaitTimeout"/>).</summary>
    public static ErrorRecord Custom(Exception exception, string errorId, ErrorCategory category, string recommendedAction, object? target) =>
        new(exception, errorId, category, target)
        {
            ErrorDetails = new ErrorDetails(exception.Message) { RecommendedAction = recommendedAction },
        };

    public static ErrorCategory Category(CarpErrorCode code) => code switch
    {
        CarpErrorCode.InvalidArgument or CarpErrorCode.InvalidVhid or CarpErrorCode.InvalidAdvBase or CarpErrorCode.InvalidAdvSkew or
            CarpErrorCode.InvalidAddress or CarpErrorCode.InvalidPass or CarpErrorCode.InvalidInterfaceName or
            CarpErrorCode.InvalidSysctlValue or CarpErrorCode.InvalidPriority or CarpErrorCode.InvalidInterval => ErrorCategory.InvalidArgument,
        CarpErrorCode.DuplicateVhid or CarpErrorCode.InterfaceExists or CarpErrorCode.TrackerExists => ErrorCategory.ResourceExists,
        CarpErrorCode.InterfaceNotFound or CarpErrorCode.UnknownCarpDev or CarpErrorCode.UnknownSysctl or CarpErrorCode.TrackerNotFound => ErrorCategory.ObjectNotFound,
        CarpErrorCode.ReadOnlySysctl or CarpErrorCode.InterfaceSuspended or CarpErrorCode.ProtocolFixed or CarpErrorCode.ArpBalanceNeedsVirtualMac => ErrorCategory.InvalidOperation,
        CarpErrorCode.NotPermitted => ErrorCategory.PermissionDenied,
        CarpErrorCode.LibpcapMissing => ErrorCategory.NotInstalled,
        CarpErrorCode.ServiceUnreachable => ErrorCategory.ConnectionError,
        _ => ErrorCategory.NotSpecified,
    };
}
