namespace Carp.Engine.Core;

/// <summary>
/// The redundancy protocol a virtual host speaks, fixed when it is created (as FreeBSD's <c>carpver</c>): to change it,
/// remove the virtual host and add it again (docs/protocol.md#vrrp).
/// </summary>
public enum VirtualHostProtocol
{
    /// <summary>CARPv2: advbase/advskew, a SHA-1 HMAC over a pass (the default).</summary>
    Carp,

    /// <summary>VRRPv3 (RFC 5798 as updated by RFC 9568): priority and a centisecond interval, no authentication.</summary>
    Vrrp,
}
