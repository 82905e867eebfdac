using Carp.Engine.Core;
using Carp.Engine.Protocol;

namespace CarpPS;

/// <summary>
/// What a PowerShell user should do about a refusal, by its code. The engine only states the problem
/// (it does not know it was asked by a cmdlet); these are the module's own words, written once: the
/// cmdlets' own checks use them too. The ranges come from <see cref="CarpLimits"/>.
/// </summary>
internal static class CarpAdvice
{
    /// <summary>The advice for a code that has none more specific (InvalidArgument, ServiceError).</summary>
    public const string Generic = "Check the arguments (Get-Help <command> -Full) and run the command again.";

    /// <summary>What an interface name may be, as the engine checks it.</summary>
    public static string InterfaceNameRule { get; } = $"1 to {CarpLimits.InterfaceNameMaxLength} letters, digits, '.', '-' or '_'";

    public static string For(CarpErrorCode code) => code switch
    {
        CarpErrorCode.InvalidVhid => $"Pass -Vhid with a value from {CarpLimits.VhidRange} that no other carp interface on the carpdev uses.",
        CarpErrorCode.InvalidAdvBase => $"Pass -AdvBase with a value from {CarpLimits.AdvBaseRange}.",
        CarpErrorCode.InvalidAdvSkew => $"Pass -AdvSkew with a value from {CarpLimits.AdvSkewRange}.",
        CarpErrorCode.InvalidAddress => "Pass each virtual address once to -Address, as 192.0.2.1/24 or 2001:db8::1/64 (a -Protocol Vrrp interface takes addresses of one family: use two vhids for both).",
        CarpErrorCode.InvalidPass => $"Pass -Pass as a SecureString of 1 to {CarpKey.MaxPassphraseBytes} characters (Read-Host -AsSecureString); with -Protocol Vrrp leave -Pass out.",
        CarpErrorCode.InvalidPriority => $"Pass -Priority with a value from {CarpLimits.PriorityRange}; the higher one is master.",
        CarpErrorCode.InvalidInterval => "Pass -Interval as a TimeSpan from 10 ms to 40.95 s in whole centiseconds, e.g. -Interval 100ms or -Interval '0.1s' (quoted).",
        CarpErrorCode.ProtocolFixed => "Run Remove-CarpInterface, then New-CarpInterface with the other -Protocol.",
        CarpErrorCode.InvalidInterfaceName => $"Name the interface with {InterfaceNameRule}, e.g. -Name carp1.",
        CarpErrorCode.DuplicateVhid => "Choose another -Vhid, or change the interface that uses it with Set-CarpInterface.",
        CarpErrorCode.InterfaceExists => "Choose another -Name, or change the existing interface with Set-CarpInterface.",
        CarpErrorCode.InterfaceNotFound => "Run Get-CarpInterface to see the carp interfaces that exist.",
        CarpErrorCode.UnknownCarpDev => "Pass to -CarpDev an interface of this host (Get-NetAdapter, or 'ip link'); with Connect-CarpService -Simulation, name it in -CarpDev there.",
        CarpErrorCode.UnknownSysctl => "Run Get-CarpSysctl to see the CARP sysctls.",
        CarpErrorCode.ReadOnlySysctl => "Fix what the read-only setting counts (carpdevs that are down, send errors) instead of setting it.",
        CarpErrorCode.InvalidSysctlValue => "Run Get-CarpSysctl to see each setting's range, and pass a value inside it.",
        CarpErrorCode.NotPermitted => "Run PowerShell as root (or grant CAP_NET_RAW and CAP_NET_ADMIN), connect to carpd with Connect-CarpService, or try CARP without root with Connect-CarpService -Simulation.",
        CarpErrorCode.LibpcapMissing => "Install libpcap (apt-get install libpcap0.8), or connect to carpd with Connect-CarpService.",
        CarpErrorCode.ServiceUnreachable => "Check that carpd is running (systemctl status carpd) and that you may open its socket (run as root), or use Connect-CarpService -Simulation.",
        CarpErrorCode.InterfaceSuspended => "Run Resume-CarpInterface first; then, if it is still needed, Set-CarpInterface -State Master.",
        CarpErrorCode.ArpBalanceNeedsVirtualMac => "Give every interface of the balancing set -MacMode Virtual (Set-CarpInterface), or give it an address of its own; or leave ARP balancing off (Set-CarpSysctl -ArpBalance $false).",
        CarpErrorCode.TrackerNotFound => "Run Get-CarpTracker to see the trackers that exist.",
        CarpErrorCode.TrackerExists => "Choose another -Name, or remove the existing tracker with Remove-CarpTracker first.",
        _ => Generic,
    };
}
