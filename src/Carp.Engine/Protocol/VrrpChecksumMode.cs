namespace Carp.Engine.Protocol;

/// <summary>
/// How a VRRPv3 checksum over IPv4 is computed (docs/protocol.md#vrrp-checksum). Over IPv6 both modes include the IPv6
/// pseudo-header, as every implementation does.
/// </summary>
public enum VrrpChecksumMode
{
    /// <summary>
    /// The VRRP message and a pseudo-header (source, destination, zero, protocol 112, length), RFC 5798's text read for
    /// IPv4 too: keepalived's default, and what Wireshark checks.
    /// </summary>
    PseudoHeader,

    /// <summary>
    /// The VRRP message alone, as VRRPv2 computes it (RFC 9568's reading for IPv4; keepalived's <c>v3_checksum_as_v2</c>,
    /// from keepalived 2.2.8; 2.2.7 refuses it).
    /// </summary>
    MessageOnly,
}
