using System.Net;
using System.Net.Sockets;
using Carp.Engine.Core;
using FsCheck.Xunit;

namespace Carp.Engine.Tests.Core;

/// <summary>CarpAddress.TryParse: <c>address[/prefix]</c>, host addresses by default, unusable addresses refused, never throws.</summary>
public class AddressTests
{
    [Theory]
    [InlineData("192.0.2.1", "192.0.2.1", 32)]
    [InlineData("192.0.2.1/24", "192.0.2.1", 24)]
    [InlineData("10.0.0.1/1", "10.0.0.1", 1)]
    [InlineData("192.0.2.1/32", "192.0.2.1", 32)]
    [InlineData("2001:db8::1", "2001:db8::1", 128)]
    [InlineData("2001:db8::1/64", "2001:db8::1", 64)]
    [InlineData("2001:DB8:0:0:0:0:0:1/128", "2001:db8::1", 128)]
    [InlineData("fe80::1/64", "fe80::1", 64)]
    [InlineData("::ffff:192.0.2.1/96", "::ffff:192.0.2.1", 96)]
    public void Valid_address_parses_with_its_prefix(string text, string address, int prefix)
    {
        Assert.True(CarpAddress.TryParse(text, out var parsed, out var error));

        Assert.Null(error);
        Assert.Equal(IPAddress.Parse(address), parsed.Address);
        Assert.Equal(prefix, parsed.PrefixLength);
        Assert.Equal(address.Contains(':', StringComparison.Ordinal), parsed.IsIPv6);
        Assert.Equal(parsed.IsIPv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork, parsed.Family);
        Assert.Equal(parsed, CarpAddress.Parse(parsed.ToString()));
        Assert.Equal($"{IPAddress.Parse(address)}/{prefix}", parsed.ToString());
    }

    [Theory]
    [InlineData("192.0.2.1/0")]
    [InlineData("192.0.2.1/33")]
    [InlineData("192.0.2.1/-1")]
    [InlineData("192.0.2.1/+24")]
    [InlineData("192.0.2.1/ 24")]
    [InlineData("192.0.2.1/24 ")]
    [InlineData("192.0.2.1/")]
    [InlineData("192.0.2.1/2x")]
    [InlineData("192.0.2.1/24/8")]
    [InlineData("192.0.2.1/0x18")]
    [InlineData("192.0.2.1/99999999999999999999")]
    [InlineData("192.0.2.1/２４")] // full-width digits
    [InlineData("2001:db8::1/129")]
    [InlineData("2001:db8::1/0")]
    public void Bad_prefix_is_refused(string text)
    {
        Assert.False(CarpAddress.TryParse(text, out var parsed, out var error));

        Assert.Contains("prefix", error, StringComparison.Ordinal);
        Assert.Equal(default, parsed);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("/24")]
    [InlineData("foo")]
    [InlineData("foo/24")]
    [InlineData("300.1.1.1")]
    [InlineData("192.0.2.1.5")]
    [InlineData("192.0.2.1//24")]
    [InlineData("2001:db8::1::2")]
    [InlineData("2001:db8::g")]
    [InlineData("fe80::1%eth0")]
    [InlineData("fe80::1%2/64")]
    [InlineData("192.0.2.1 24")]
    [InlineData("\0")]
    public void Garbage_is_refused_without_throwing(string? text)
    {
        Assert.False(CarpAddress.TryParse(text, out var parsed, out var error));

        Assert.False(string.IsNullOrWhiteSpace(error));
        Assert.Equal(default, parsed);
        Assert.Equal(error, Assert.Throws<FormatException>(() => CarpAddress.Parse(text!)).Message);
    }

    [Theory]
    [InlineData("[2001:db8::1]:80")]   // accepted as 2001:db8::1/128, the port silently dropped
    [InlineData("[2001:db8::1]/64")]
    [InlineData("192.0.2")]            // accepted as 192.0.0.2
    [InlineData("10.1/8")]             // accepted as 10.0.0.1/8; iproute2 reads 10.1/8 as 10.1.0.0/8
    [InlineData("3232235777")]         // accepted as 192.168.1.1
    [InlineData("0xc0.0.2.1")]         // accepted as 192.0.2.1
    public void Only_the_plain_textual_forms_are_accepted(string text)
    {
        Assert.False(CarpAddress.TryParse(text, out _, out var error));
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("0.0.0.0/0")]
    [InlineData("255.255.255.255")]
    [InlineData("224.0.0.18")]
    [InlineData("239.255.255.255/24")]
    [InlineData("127.0.0.1")]
    [InlineData("127.1.2.3/8")]
    [InlineData("::")]
    [InlineData("::/64")]
    [InlineData("::1")]
    [InlineData("ff02::12")]
    [InlineData("ff05::1:3/64")]
    [InlineData("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")]
    public void Unusable_virtual_address_is_refused(string text)
    {
        Assert.False(CarpAddress.TryParse(text, out _, out var error));

        Assert.False(string.IsNullOrWhiteSpace(error));
        Assert.Throws<FormatException>(() => CarpAddress.Parse(text));
    }

    [Theory]
    [InlineData("223.255.255.254/24")]
    [InlineData("240.0.0.1/4")] // class E is not multicast
    [InlineData("128.0.0.1")]
    [InlineData("fe00::1/64")]
    public void Neighbours_of_the_refused_ranges_are_accepted(string text) =>
        Assert.True(CarpAddress.TryParse(text, out _, out _));

    [Property(MaxTest = 1000)]
    public bool TryParse_never_throws_and_explains_every_refusal(string? text)
    {
        if (CarpAddress.TryParse(text, out var parsed, out var error))
        {
            return error is null && CarpAddress.Parse(parsed.ToString()) == parsed;
        }

        return !string.IsNullOrWhiteSpace(error) && parsed == default;
    }

    [Property(MaxTest = 500)]
    public bool Any_prefix_outside_the_family_range_is_refused(bool v6, int prefix)
    {
        var max = v6 ? 128 : 32;
        var ok = CarpAddress.TryParse((v6 ? "2001:db8::7/" : "192.0.2.7/") + prefix.ToString(System.Globalization.CultureInfo.InvariantCulture), out var parsed, out _);
        return ok == (prefix >= 1 && prefix <= max) && (!ok || parsed.PrefixLength == prefix);
    }
}
