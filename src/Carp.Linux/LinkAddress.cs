using System.Net;

namespace Carp.Linux;

/// <summary>An address configured on an interface (RTM_GETADDR).</summary>
/// <param name="Address">The interface's own address (IFA_LOCAL for IPv4, IFA_ADDRESS for IPv6).
/// IPv6 link-local addresses carry the interface index as <see cref="IPAddress.ScopeId"/>.</param>
/// <param name="PrefixLength">Prefix length.</param>
/// <param name="InterfaceIndex">Index of the interface holding the address.</param>
/// <param name="Flags">IFA_F_* flags (IFA_FLAGS when present, otherwise ifa_flags).</param>
public sealed record LinkAddress(IPAddress Address, int PrefixLength, int InterfaceIndex, uint Flags)
{
    /// <summary>IFA_F_TENTATIVE: IPv6 duplicate address detection still running.</summary>
    public bool IsTentative => (Flags & 0x40) != 0;

    public override string ToString() => $"{Address}/{PrefixLength}";
}
