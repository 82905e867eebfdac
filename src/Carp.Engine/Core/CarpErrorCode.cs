namespace Carp.Engine.Core;

/// <summary>
/// Stable reasons a request to a CARP service fails. Their names are the error ids users see
/// (PowerShell ErrorRecord ids, carpd's JSON-RPC error data), so never rename one.
/// </summary>
public enum CarpErrorCode
{
    InvalidArgument,
    InvalidVhid,
    InvalidAdvBase,
    InvalidAdvSkew,
    InvalidAddress,
    InvalidPass,
    InvalidInterfaceName,
    DuplicateVhid,
    InterfaceExists,
    InterfaceNotFound,
    UnknownCarpDev,
    UnknownSysctl,
    ReadOnlySysctl,
    InvalidSysctlValue,
    NotPermitted,
    LibpcapMissing,
    ServiceUnreachable,
    ServiceError,
    /// <summary>The interface is in maintenance mode (suspended): it cannot be forced MASTER.</summary>
    InterfaceSuspended,
    /// <summary>A VRRPv3 priority outside 1 to 254.</summary>
    InvalidPriority,
    /// <summary>A VRRPv3 advertisement interval outside 1 to 4095 centiseconds.</summary>
    InvalidInterval,
    /// <summary>An update would change a virtual host's protocol (CARP or VRRP), which is fixed at creation.</summary>
    ProtocolFixed,
    /// <summary>ARP balancing needs a virtual MAC per vhid: a Real-MAC-mode interface cannot share its address with another vhid while arpbalance is on.</summary>
    ArpBalanceNeedsVirtualMac,
    /// <summary>There is no health tracker of that name.</summary>
    TrackerNotFound,
    /// <summary>A health tracker of that name exists already.</summary>
    TrackerExists,
}
