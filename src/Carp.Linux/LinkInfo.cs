using System.Net.NetworkInformation;

namespace Carp.Linux;

/// <summary>One network interface as reported by RTM_GETLINK.</summary>
/// <param name="Index">Interface index inside its network namespace.</param>
/// <param name="Name">Interface name (IFLA_IFNAME).</param>
/// <param name="MacAddress">Link-layer address (IFLA_ADDRESS); empty when the link has none.</param>
/// <param name="Flags">IFF_* flags.</param>
/// <param name="Mtu">IFLA_MTU.</param>
/// <param name="Kind">IFLA_INFO_KIND ("veth", "macvlan", "bridge" …); null for plain devices.</param>
/// <param name="ParentIndex">IFLA_LINK (lower device of a macvlan, peer of a veth); 0 when absent.</param>
/// <param name="MasterIndex">IFLA_MASTER (e.g. the bridge a port belongs to); 0 when absent.</param>
public sealed record LinkInfo(
    int Index,
    string Name,
    PhysicalAddress MacAddress,
    LinkFlags Flags,
    int Mtu,
    string? Kind,
    int ParentIndex,
    int MasterIndex)
{
    /// <summary>Administratively up (IFF_UP).</summary>
    public bool IsAdministrativelyUp => (Flags & LinkFlags.Up) != 0;

    /// <summary>Carrier present (IFF_LOWER_UP, or IFF_RUNNING on drivers without it).</summary>
    public bool HasCarrier => (Flags & (LinkFlags.LowerUp | LinkFlags.Running)) != 0;

    /// <summary>Usable for CARP: IFF_UP and carrier.</summary>
    public bool IsUp => IsAdministrativelyUp && HasCarrier;
}
