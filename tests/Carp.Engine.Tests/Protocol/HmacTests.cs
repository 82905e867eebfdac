using System.Net;
using System.Net.NetworkInformation;
using Carp.Engine.Core;
using Carp.Engine.Protocol;
using FsCheck.Xunit;

namespace Carp.Engine.Tests.Protocol;

public class HmacTests
{
    private const ulong Counter = 0x0102030405060708;
    private const string TV5a = "625a9da7b0d7ad03586f1c9252e33ff38ae0ffb0";
    private const string TV5b = "748b9608057f90493e89495c3a78e4d657f840f7";

    private static CarpHmac Create(string pass, byte vhid, params string[] addresses) =>
        new(CarpKey.FromPassphrase(pass), vhid, addresses.Select(a => CarpAddress.Parse(a).Address));

    private static string Compute(CarpHmac hmac, ulong counter)
    {
        var mac = new byte[20];
        hmac.Compute(counter, mac);
        return Convert.ToHexStringLower(mac);
    }

    [Theory]
    [InlineData("secret", 7, "10.99.0.100", 0x468e8c47f6d0f2b2UL, "c712902a2f349128a4c6f685334a55b85642e6e4")] // TV1
    [InlineData("foobar", 1, "192.0.2.254", 1UL, "243930fbbf98abeccc6b78dcfbc318fbc0c48176")] // TV2
    [InlineData("foobar", 1, "192.0.2.254,10.0.0.1,192.0.2.1", Counter, "e91de4c75068d7d60f9064e01ecef0ea8f3fc92d")] // TV3
    [InlineData("foobar", 1, "192.0.2.1,2001:db8::1", Counter, "2017aaf31a2c138a907a3024351cea3c79416112")] // TV4
    [InlineData("foobar", 1, "2001:db8::1,fe80::200:5eff:fe00:101", Counter, TV5a)] // TV5a: link-local skipped when sending
    [InlineData("0123456789abcdefghijXYZ", 1, "192.0.2.1", Counter, "e49c3cb8c788617eed874bb674b2067704368326")] // TV7
    public void Compute_matches_the_spec_vectors(string pass, byte vhid, string addresses, ulong counter, string expected)
    {
        using var hmac = Create(pass, vhid, addresses.Split(','));
        Assert.Equal(expected, Compute(hmac, counter));
        Assert.True(hmac.Verify(counter, Convert.FromHexString(expected)));
    }

    [Fact]
    public void TV3_message_layout()
    {
        using var hmac = Create("foobar", 1, "192.0.2.254", "10.0.0.1", "192.0.2.1");
        Assert.Equal("0201010a000001c0000201c00002fe", Convert.ToHexStringLower(hmac.PrimaryMessagePrefix));
    }

    [Fact]
    public void TV3_header_with_advskew_100()
    {
        using var hmac = Create("foobar", 1, "192.0.2.254", "10.0.0.1", "192.0.2.1");
        Span<byte> mac = stackalloc byte[20];
        hmac.Compute(Counter, mac);
        var header = new byte[36];
        CarpHeaderCodec.Write(header, 1, 100, 0, 1, Counter, mac);
        Assert.True(CarpHeaderCodec.IsChecksumValid(header));
        Assert.True(CarpHeaderCodec.TryRead(header, out var advert));
        Assert.Equal(100, advert.AdvSkew);
        Assert.True(hmac.Verify(advert.Counter, CarpHeaderCodec.Hmac(header)));
    }

    [Fact]
    public void TV5_verify_accepts_both_the_openbsd_variants()
    {
        using var hmac = Create("foobar", 1, "2001:db8::1", "fe80::200:5eff:fe00:101");
        Assert.True(hmac.HasScopedVariant);
        Assert.Equal(TV5a, Compute(hmac, Counter));
        Assert.True(hmac.Verify(Counter, Convert.FromHexString(TV5a)));
        Assert.True(hmac.Verify(Counter, Convert.FromHexString(TV5b)));
        Assert.False(hmac.Verify(Counter + 1, Convert.FromHexString(TV5b)));
    }

    [Fact]
    public void TV5_a_vhid_signing_link_locals_sends_the_orig_variant_as_FreeBSD_does()
    {
        var addresses = new[] { "2001:db8::1/128", "fe80::200:5eff:fe00:101/64" }.Select(a => CarpAddress.Parse(a).Address).ToArray();
        using var freeBsd = new CarpHmac(CarpKey.FromPassphrase("foobar"), 1, addresses, sendScoped: true);
        using var openBsd = new CarpHmac(CarpKey.FromPassphrase("foobar"), 1, addresses, sendScoped: false);

        Assert.Equal(TV5b, Compute(freeBsd, Counter));
        Assert.Equal(TV5a, Compute(openBsd, Counter));
        Assert.True(CompatibilityProfile.FreeBsd.SignsLinkLocalAddresses);
        Assert.False(CompatibilityProfile.OpenBsd.SignsLinkLocalAddresses);
    }

    [Fact]
    public void TV5_variants_verify_in_any_order()
    {
        using var hmac = Create("foobar", 1, "2001:db8::1", "fe80::200:5eff:fe00:101");
        foreach (var expected in new[] { TV5b, TV5b, TV5a, TV5a, TV5b, TV5a })
        {
            Assert.True(hmac.Verify(Counter, Convert.FromHexString(expected)));
            Assert.False(hmac.Verify(Counter, new byte[20]));
        }

        Assert.Equal(TV5a, Compute(hmac, Counter));
    }

    [Fact]
    public void TV5_without_a_link_local_accepts_only_the_primary_variant()
    {
        using var hmac = Create("foobar", 1, "2001:db8::1");
        Assert.False(hmac.HasScopedVariant);
        Assert.True(hmac.Verify(Counter, Convert.FromHexString(TV5a)));
        Assert.False(hmac.Verify(Counter, Convert.FromHexString(TV5b)));
    }

    [Fact]
    public void TV5_embedded_scope_bytes_are_cleared()
    {
        // A KAME-style address carrying interface index 0x1234 in bytes 2–3 hashes like the plain link-local.
        using var hmac = new CarpHmac(CarpKey.FromPassphrase("foobar"), 1,
            [IPAddress.Parse("2001:db8::1"), IPAddress.Parse("fe80:1234::200:5eff:fe00:101")]);
        Assert.True(hmac.Verify(Counter, Convert.FromHexString(TV5b)));
    }

    [Fact]
    public void TV6_custom_lladdr_is_hashed_after_the_type_byte()
    {
        using var hmac = new CarpHmac(CarpKey.FromPassphrase("foobar"), 1, [IPAddress.Parse("192.0.2.1")],
            PhysicalAddress.Parse("02-00-00-00-00-01"));
        Assert.Equal("020102000000000101c0000201", Convert.ToHexStringLower(hmac.PrimaryMessagePrefix));
        Assert.Equal("cce43fce17f83283445812254feb6fb89ce48aaa", Compute(hmac, Counter));
    }

    [Fact]
    public void TV6_rejects_a_lladdr_that_is_not_6_bytes()
    {
        Assert.Throws<ArgumentException>(() =>
            new CarpHmac(CarpKey.Empty, 1, [IPAddress.Parse("192.0.2.1")], PhysicalAddress.Parse("02-00-00-00-00-01-02-03")));
    }

    [Fact]
    public void TV7_passphrase_is_truncated_to_19_bytes()
    {
        using var truncated = Create("0123456789abcdefghijXYZ", 1, "192.0.2.1");
        using var exact = Create("0123456789abcdefghi", 1, "192.0.2.1");
        Assert.Equal(Compute(exact, Counter), Compute(truncated, Counter));
        Assert.Equal("e49c3cb8c788617eed874bb674b2067704368326", Compute(exact, Counter));
    }

    [Fact]
    public void Empty_key_is_hmac_with_an_empty_key()
    {
        // Python: hmac.new(b"", bytes.fromhex("020101c00002fe0000000000000001"), sha1)
        using var hmac = new CarpHmac(CarpKey.Empty, 1, [IPAddress.Parse("192.0.2.254")]);
        Assert.Equal("b728fd75f44b7b89573ca3d981db1bd82ef3c902", Compute(hmac, 1));
        using var fromNull = Create(null!, 1, "192.0.2.254");
        Assert.Equal("b728fd75f44b7b89573ca3d981db1bd82ef3c902", Compute(fromNull, 1));
    }

    [Fact]
    public void Address_order_and_duplicates_do_not_matter()
    {
        using var sorted = Create("foobar", 1, "10.0.0.1", "192.0.2.1", "192.0.2.254");
        using var shuffled = Create("foobar", 1, "192.0.2.1/24", "192.0.2.254", "10.0.0.1/8", "192.0.2.1/32");
        Assert.Equal("e91de4c75068d7d60f9064e01ecef0ea8f3fc92d", Compute(sorted, Counter));
        Assert.Equal(Compute(sorted, Counter), Compute(shuffled, Counter));
    }

    [Fact]
    public void IPv4_sorts_numerically_and_ipv6_bytewise_after_ipv4()
    {
        using var hmac = Create("x", 3, "2001:db8::2", "192.0.2.1", "2001:db8::1", "10.0.0.1");
        Assert.Equal("0201030a000001c000020120010db800000000000000000000000120010db8000000000000000000000002",
            Convert.ToHexStringLower(hmac.PrimaryMessagePrefix));
    }

    [Fact]
    public void Addresses_the_kernels_cannot_include_are_excluded()
    {
        using var plain = Create("foobar", 1, "192.0.2.254");
        using var withJunk = new CarpHmac(CarpKey.FromPassphrase("foobar"), 1,
        [
            IPAddress.Any, IPAddress.Broadcast,
            IPAddress.IPv6Any, IPAddress.Parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            IPAddress.Parse("192.0.2.254"),
        ]);
        Assert.Equal("243930fbbf98abeccc6b78dcfbc318fbc0c48176", Compute(withJunk, 1));
        Assert.Equal(Compute(plain, 1), Compute(withJunk, 1));
        Assert.False(withJunk.HasScopedVariant);
    }

    [Fact]
    public void Scoped_multicast_counts_as_scoped()
    {
        using var hmac = new CarpHmac(CarpKey.FromPassphrase("foobar"), 1,
            [IPAddress.Parse("2001:db8::1"), IPAddress.Parse("ff02::1")]);
        Assert.True(hmac.HasScopedVariant);
        Assert.Equal(TV5a, Compute(hmac, Counter));
    }

    [Fact]
    public void Verify_rejects_wrong_values()
    {
        using var hmac = Create("foobar", 1, "192.0.2.254");
        var good = Convert.FromHexString("243930fbbf98abeccc6b78dcfbc318fbc0c48176");
        Assert.True(hmac.Verify(1, good));
        Assert.False(hmac.Verify(2, good));
        Assert.False(hmac.Verify(1, good.AsSpan(0, 19)));
        Assert.False(hmac.Verify(1, [.. good, 0]));
        good[19] ^= 1;
        Assert.False(hmac.Verify(1, good));
        using var otherPass = Create("foobaz", 1, "192.0.2.254");
        using var otherVhid = Create("foobar", 2, "192.0.2.254");
        using var otherAddress = Create("foobar", 1, "192.0.2.253");
        good[19] ^= 1;
        Assert.False(otherPass.Verify(1, good));
        Assert.False(otherVhid.Verify(1, good));
        Assert.False(otherAddress.Verify(1, good));
    }

    [Fact]
    public void Compute_rejects_a_short_destination()
    {
        using var hmac = Create("foobar", 1, "192.0.2.254");
        Assert.Throws<ArgumentException>(() => hmac.Compute(1, new byte[19]));
    }

    [Fact]
    public void Compute_and_verify_allocate_nothing_in_steady_state()
    {
        using var hmac = Create("foobar", 1, "2001:db8::1", "fe80::200:5eff:fe00:101", "192.0.2.1");
        var mac = new byte[20];
        var wrong = new byte[20];
        var scoped = Convert.FromHexString(TV5b);

        void Run()
        {
            for (var i = 0UL; i < 1000; i++)
            {
                hmac.Compute(i, mac);
                Assert.True(hmac.Verify(i, mac));
                Assert.False(hmac.Verify(i, wrong)); // exercises the second (scoped) variant too
                hmac.Verify(Counter, scoped);
            }
        }

        Run();
        var before = GC.GetAllocatedBytesForCurrentThread();
        Run();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Property(MaxTest = 50)]
    public bool Compute_then_verify_succeeds_for_any_key_vhid_and_counter(string? pass, byte vhid, ulong counter, uint v4)
    {
        using var hmac = new CarpHmac(CarpKey.FromPassphrase(pass), vhid, [new IPAddress(v4)]);
        Span<byte> mac = stackalloc byte[20];
        hmac.Compute(counter, mac);
        return hmac.Verify(counter, mac) && !hmac.Verify(counter ^ 1, mac);
    }
}
