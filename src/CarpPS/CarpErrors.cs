using System.Management.Automation;
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

    public static ErrorRecord Create(CarpErrorCode code, string message, string? recommendedAction, object? target) =>
        FromException(new CarpException(code, message, recommendedAction), target);

    /// <summary>Any exception becomes a record; one that is not a <see cref="CarpException"/> is reported as ServiceError.</summary>
    public static ErrorRecord FromException(Exception exception, object? target)
    {
        var carp = exception as CarpException ?? new CarpException(CarpErrorCode.ServiceError,
            $"The CARP service failed: {exception.Message}",
            "Run the command again; if it keeps failing, report it with $Error[0].Exception.InnerException.", exception);
        var record = new ErrorRecord(carp, carp.Code.ToString(), Category(carp.Code), target)
        {
            ErrorDetails = new ErrorDetails(carp.Message) { RecommendedAction = carp.RecommendedAction ?? DefaultAction(carp.Code) },
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
            CarpErrorCode.InvalidSysctlValue => ErrorCategory.InvalidArgument,
        CarpErrorCode.DuplicateVhid or CarpErrorCode.InterfaceExists => ErrorCategory.ResourceExists,
        CarpErrorCode.InterfaceNotFound or CarpErrorCode.UnknownCarpDev or CarpErrorCode.UnknownSysctl => ErrorCategory.ObjectNotFound,
        CarpErrorCode.ReadOnlySysctl => ErrorCategory.InvalidOperation,
        CarpErrorCode.NotPermitted => ErrorCategory.PermissionDenied,
        CarpErrorCode.LibpcapMissing => ErrorCategory.NotInstalled,
        CarpErrorCode.ServiceUnreachable => ErrorCategory.ConnectionError,
        _ => ErrorCategory.NotSpecified,
    };

    /// <summary>For refusals that came without advice (the engine gives it for most).</summary>
    private static string DefaultAction(CarpErrorCode code) => code switch
    {
        CarpErrorCode.NotPermitted => "Run PowerShell as root (or grant CAP_NET_RAW and CAP_NET_ADMIN), connect to carpd with Connect-CarpService, or try CARP without root with Connect-CarpService -Simulation.",
        CarpErrorCode.LibpcapMissing => "Install libpcap (apt-get install libpcap0.8), or connect to carpd with Connect-CarpService.",
        CarpErrorCode.ServiceUnreachable => "Check that carpd is running (systemctl status carpd), or use Connect-CarpService -Simulation.",
        CarpErrorCode.InterfaceNotFound => "Run Get-CarpInterface to see the carp interfaces that exist.",
        _ => "Check the arguments (Get-Help <command> -Full) and run the command again.",
    };
}
