using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Carp.Engine.Core;

/// <summary>
/// A virtual address with its prefix length, as written after a carp interface
/// (<c>172.16.0.100/24</c>). Unlike <see cref="IPNetwork"/> the host part is kept.
/// </summary>
public readonly partial record struct CarpAddress(IPAddress Address, int PrefixLength)
{
    public AddressFamily Family => Address.AddressFamily;

    public bool IsIPv6 => Address.AddressFamily == AddressFamily.InterNetworkV6;

    public static CarpAddress Parse(string text)
    {
        if (!TryParse(text, out var address, out var error))
        {
            throw new FormatException(error);
        }

        return address;
    }

    /// <summary>Parses <c>address[/prefix]</c>; a missing prefix means a host address (/32 or /128).</summary>
    public static bool TryParse(string? text, out CarpAddress address, [NotNullWhen(false)] out string? error)
    {
        address = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "An address is empty; write it as 192.0.2.1/24 or 2001:db8::1/64.";
            return false;
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var ipText = slash < 0 ? text : text[..slash];
        // Only the plain forms iproute2 reads the same way: dotted quads and bare IPv6 (no inet_aton shorthand, brackets, ports or scopes).
        if (!(DottedQuad().IsMatch(ipText) || PlainIPv6().IsMatch(ipText)) || !IPAddress.TryParse(ipText, out var ip) ||
            ip.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            error = $"'{text}' is not an IPv4 or IPv6 address; write it as 192.0.2.1/24 or 2001:db8::1/64.";
            return false;
        }

        var max = ip.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var prefix = max;
        if (slash >= 0 &&
            (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix < 1 || prefix > max))
        {
            error = $"'{text}' has an invalid prefix length; use 1 to {max}.";
            return false;
        }

        if (IsUnusable(ip))
        {
            error = $"'{text}' cannot be a virtual address (unspecified, all-ones, multicast or loopback).";
            return false;
        }

        address = new CarpAddress(ip, prefix);
        error = null;
        return true;
    }

    [GeneratedRegex(@"^\d{1,3}(\.\d{1,3}){3}\z")]
    private static partial Regex DottedQuad();

    [GeneratedRegex(@"^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\z")]
    private static partial Regex PlainIPv6();

    // The kernels' sort loop can never include 0.0.0.0, 255.255.255.255, :: or ffff:…:ffff (docs/protocol.md#hmac-input).
    private static bool IsUnusable(IPAddress ip) =>
        ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.Broadcast) || ip.Equals(IPAddress.IPv6Any) ||
        IPAddress.IsLoopback(ip) || ip.IsIPv6Multicast || (ip.IsIPv4MappedToIPv6 && IsUnusable(ip.MapToIPv4())) ||
        ip.Equals(IPAddress.Parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")) ||
        (ip.AddressFamily == AddressFamily.InterNetwork && (ip.GetAddressBytes()[0] & 0xF0) == 0xE0);

    public override string ToString() => $"{Address}/{PrefixLength}";
}
