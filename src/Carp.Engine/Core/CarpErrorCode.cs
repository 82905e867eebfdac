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
    /// <summary>ARP balancing needs a virtual MAC per vhid: a Real-MAC-mode interface cannot share its address with another vhid while arpbalance is on.</summary>
    ArpBalanceNeedsVirtualMac,
}
