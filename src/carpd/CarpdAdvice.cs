using Carp.Engine.Core;
using Carp.Engine.Protocol;

namespace Carpd;

/// <summary>
/// What carpd tells its administrator to do about a refusal, in the words of its configuration file
/// and control socket (the engine states only the problem; see docs/ARCHITECTURE.md#errors).
/// </summary>
internal static class CarpdAdvice
{
    public static string For(CarpErrorCode code) => code switch
    {
        CarpErrorCode.InvalidVhid => $"Give a vhid from {CarpLimits.VhidRange} that no other carp interface on the carpdev uses.",
        CarpErrorCode.InvalidAdvBase => $"Give an advbase from {CarpLimits.AdvBaseRange}.",
        CarpErrorCode.InvalidAdvSkew => $"Give an advskew from {CarpLimits.AdvSkewRange}.",
        CarpErrorCode.InvalidAddress => "Write each virtual address once, as 192.0.2.1/24 or 2001:db8::1/64 (a carpver 3 interface takes addresses of one family: use two vhids for both).",
        CarpErrorCode.InvalidPriority => $"Give a vrrpprio from {CarpLimits.PriorityRange}; the higher one is master.",
        CarpErrorCode.InvalidInterval => $"Give a vrrpinterval from {CarpLimits.IntervalRange}, e.g. vrrpinterval 10 for 100 ms.",
        CarpErrorCode.ProtocolFixed => "Remove the interface (removeInterface, or delete its line and reload), then create it again with the other carpver.",
        CarpErrorCode.InvalidPass =>
            $"Give a pass of 1 to {CarpKey.MaxPassphraseBytes} bytes (pass or passfile in the file, base64 of the key bytes on the socket), or passhex of at most {CarpKey.MaxRawKeyBytes} bytes; a carpver 3 (VRRPv3) interface takes no pass.",
        CarpErrorCode.InvalidInterfaceName => $"Name the interface with 1 to {CarpLimits.InterfaceNameMaxLength} letters, digits, '.', '-' or '_', e.g. carp1.",
        CarpErrorCode.DuplicateVhid => "Give the interface a vhid that no other carp interface on that carpdev uses.",
        CarpErrorCode.InterfaceExists => "Choose another name, or change the existing interface (setInterface) instead of creating it.",
        CarpErrorCode.InterfaceNotFound => "List the carp interfaces with getInterfaces (or carpd --check-config FILE for the configuration file).",
        CarpErrorCode.UnknownCarpDev => "Name an interface of this host as carpdev (see 'ip link').",
        CarpErrorCode.UnknownSysctl or CarpErrorCode.ReadOnlySysctl or CarpErrorCode.InvalidSysctlValue =>
            "Write net.inet.carp.<name>=<value> with a writable sysctl and a value in its range.",
        CarpErrorCode.NotPermitted => "Run carpd as root, or with CAP_NET_ADMIN and CAP_NET_RAW (see packaging/carpd.service).",
        CarpErrorCode.LibpcapMissing => "Install libpcap: apt-get install libpcap0.8.",
        CarpErrorCode.ServiceUnreachable => "Check that carpd is running: systemctl status carpd.",
        CarpErrorCode.InterfaceSuspended => "Resume the interface first (setInterface with \"maintenance\": false, or remove the maintenance keyword and reload), then force its state.",
        CarpErrorCode.ArpBalanceNeedsVirtualMac =>
            "Give every interface that shares the address the virtual MAC (macmode virtual in the file, \"macmode\": \"Virtual\" on the socket), or give it an address of its own; or leave net.inet.carp.arpbalance at 0.",
        CarpErrorCode.InvalidArgument => "Check the request against docs/carpd-protocol.md.",
        CarpErrorCode.TrackerNotFound => "List the trackers with getTrackers (or the track lines of the configuration file).",
        CarpErrorCode.TrackerExists => "Give the tracker another name, or removeTracker the existing one first.",
        _ => "See carpd's log (journalctl -u carpd) for the cause.",
    };

    /// <summary>One log line: the problem and what to do.</summary>
    public static string Describe(CarpException ex) => $"{ex.Message} {For(ex.Code)}";
}
