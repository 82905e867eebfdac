namespace Carp.Engine.Core;

/// <summary>Refusals that several layers raise, worded once (docs/ARCHITECTURE.md#errors).</summary>
public static class CarpRefusals
{
    public static CarpException NoSuchInterface(string name) =>
        new(CarpErrorCode.InterfaceNotFound, $"There is no carp interface named '{name}'.");

    public static CarpException InterfaceExists(string name) =>
        new(CarpErrorCode.InterfaceExists, $"{name} already exists.");

    /// <param name="where">Optional words after the name, e.g. "on this in-memory LAN; its carpdevs are eth0".</param>
    public static CarpException NoSuchCarpDev(string name, string? where = null) =>
        new(CarpErrorCode.UnknownCarpDev, $"There is no carpdev named '{name}'{(where is null ? "" : " " + where)}.");

    public static CarpException VhidInUse(byte vhid, string usedBy, string carpDev) =>
        new(CarpErrorCode.DuplicateVhid, $"vhid {vhid} is already used by {usedBy} on {carpDev}.");

    public static CarpException ArpBalanceNeedsVirtualMac(string name, System.Net.IPAddress address) =>
        new(CarpErrorCode.ArpBalanceNeedsVirtualMac,
            $"{name} uses the real MAC (MAC mode Real) and {address} is carried by another vhid on its carpdev: ARP balancing (arpbalance 1) answers each requester with the virtual MAC of one vhid, so every vhid of the set needs its virtual MAC (MAC mode Virtual).");

    public static CarpException Suspended(string name) =>
        new(CarpErrorCode.InterfaceSuspended, $"{name} is in maintenance mode: it cannot be made MASTER until it is resumed.");

    public static CarpException ProtocolFixed(string name, VirtualHostProtocol current, VirtualHostProtocol requested) =>
        new(CarpErrorCode.ProtocolFixed,
            $"{name} speaks {Name(current)}: a virtual host's protocol is fixed when it is created, so it cannot become {Name(requested)}; remove it and add it again.");

    /// <summary>The protocol as messages name it: CARP or VRRPv3.</summary>
    public static string Name(VirtualHostProtocol protocol) => protocol == VirtualHostProtocol.Vrrp ? "VRRPv3" : "CARP";

    public static CarpException UnknownProfile(string name) =>
        new(CarpErrorCode.InvalidArgument, $"There is no compatibility profile '{name}'; the profiles are {CompatibilityProfile.NameList}.");
}
