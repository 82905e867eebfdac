using System.Net;

namespace Carp.Linux;

/// <summary>An address was added to or removed from a link, or (both null) notifications were lost and any may have changed.</summary>
public sealed class AddressChangedEventArgs(string? linkName, IPAddress? address) : EventArgs
{
    /// <summary>The link whose address changed; null when notifications were lost.</summary>
    public string? LinkName { get; } = linkName;

    /// <summary>The address added or removed (IFA_LOCAL for IPv4, IFA_ADDRESS for IPv6); null when unknown.</summary>
    public IPAddress? Address { get; } = address;
}
