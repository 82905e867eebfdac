using System.Net;
using System.Security.Cryptography;
using Carp.Engine.Protocol;
using FsCheck.Xunit;

namespace Carp.Engine.Tests.Protocol;

public class HeaderCodecTests
{
    [Theory]
    // TV1 (captured from ucarp), TV2 (accepted by ucarp), TV8 (TV2 with demote 1).
    [InlineData(7, 0, 0, 1, 0x468e8c47f6d0f2b2UL, "c712902a2f349128a4c6f685334a55b85642e6e4",
        "210700070001a986468e8c47f6d0f2b2c712902a2f349128a4c6f685334a55b85642e6e4")]
    [InlineData(1, 0, 0, 1, 1UL, "243930fbbf98abeccc6b78dcfbc318fbc0c48176",
        "21010007000181f90000000000000001243930fbbf98abeccc6b78dcfbc318fbc0c48176")]
    [InlineData(1, 0, 1, 1, 1UL, "243930fbbf98abeccc6b78dcfbc318fbc0c48176",
        "21010007010180f90000000000000001243930fbbf98abeccc6b78dcfbc318fbc0c48176")]
    public void Write_produces_the_spec_headers(byte vhid, byte advSkew, byte demote, byte advBase, ulong counter, string hmac, string expected)
    {
        var header = new byte[CarpConstants.HeaderLength];
        CarpHeaderCodec.Write(header, vhid, advSkew, demote, advBase, counter, Convert.FromHexString(hmac));
        Assert.Equal(expected, Convert.ToHexStringLower(header));
        Assert.True(CarpHeaderCodec.IsChecksumValid(header));
    }

    [Fact]
    public void TryRead_decodes_every_field()
    {
        var header = Convert.FromHexString("21010007010180f90000000000000001243930fbbf98abeccc6b78dcfbc318fbc0c48176");
        Assert.True(CarpHeaderCodec.TryRead(header, out var advert));
        Assert.Equal(new CarpAdvertisement(2, 1, 1, 0, 7, 1, 1, 0x80f9, 1), advert);
        Assert.Equal("243930fbbf98abeccc6b78dcfbc318fbc0c48176", Convert.ToHexStringLower(CarpHeaderCodec.Hmac(header)));
    }

    [Fact]
    public void TV8_demote_changes_the_checksum_but_not_the_hmac()
    {
        using var hmac = new CarpHmac(CarpKey.FromPassphrase("foobar"), 1, [IPAddress.Parse("192.0.2.254")]);
        Span<byte> mac = stackalloc byte[20];
        hmac.Compute(1, mac);
        var plain = new byte[36];
        var demoted = new byte[36];
        CarpHeaderCodec.Write(plain, 1, 0, 0, 1, 1, mac);
        CarpHeaderCodec.Write(demoted, 1, 0, 1, 1, 1, mac);
        Assert.Equal(CarpHeaderCodec.Hmac(plain).ToArray(), CarpHeaderCodec.Hmac(demoted).ToArray());
        Assert.NotEqual(plain[6..8], demoted[6..8]);
        Assert.Equal("21010007010180f90000000000000001243930fbbf98abeccc6b78dcfbc318fbc0c48176", Convert.ToHexStringLower(demoted));
    }

    [Fact]
    public void Longer_sources_are_read_by_their_first_36_bytes()
    {
        var header = new byte[40];
        CarpHeaderCodec.Write(header, 9, 1, 2, 3, 4, new byte[20]);
        header[36] = 0xAA;
        Assert.True(CarpHeaderCodec.IsChecksumValid(header));
        Assert.True(CarpHeaderCodec.TryRead(header, out var advert));
        Assert.Equal(9, advert.Vhid);
    }

    [Fact]
    public void Short_input_is_rejected_without_throwing()
    {
        var header = new byte[35];
        Assert.False(CarpHeaderCodec.TryRead(header, out var advert));
        Assert.Equal(default, advert);
        Assert.False(CarpHeaderCodec.IsChecksumValid(header));
        Assert.False(CarpHeaderCodec.IsChecksumValid([]));
    }

    [Fact]
    public void An_all_zero_header_has_an_invalid_checksum()
    {
        Assert.False(CarpHeaderCodec.IsChecksumValid(new byte[36]));
    }

    [Fact]
    public void Write_rejects_bad_buffers()
    {
        Assert.Throws<ArgumentException>(() => CarpHeaderCodec.Write(new byte[35], 1, 0, 0, 1, 0, new byte[20]));
        Assert.Throws<ArgumentException>(() => CarpHeaderCodec.Write(new byte[36], 1, 0, 0, 1, 0, new byte[19]));
    }

    private static byte[] HmacFrom(int seed) => SHA1.HashData(BitConverter.GetBytes(seed));

    [Property]
    public bool Encode_then_decode_round_trips(byte vhid, byte advSkew, byte demote, byte advBase, ulong counter, int seed)
    {
        var mac = HmacFrom(seed);
        var header = new byte[36];
        CarpHeaderCodec.Write(header, vhid, advSkew, demote, advBase, counter, mac);
        return CarpHeaderCodec.TryRead(header, out var a) &&
               CarpHeaderCodec.IsChecksumValid(header) &&
               a is { Version: 2, Type: 1, AuthLen: 7 } &&
               a.Vhid == vhid && a.AdvSkew == advSkew && a.DemoteCount == demote && a.AdvBase == advBase && a.Counter == counter &&
               a.Checksum == (ushort)((header[6] << 8) | header[7]) &&
               CarpHeaderCodec.Hmac(header).SequenceEqual(mac);
    }

    [Property(MaxTest = 50)]
    public bool Every_single_bit_flip_is_detected(string? pass, byte vhid, byte advSkew, byte demote, byte advBase, ulong counter)
    {
        using var hmac = new CarpHmac(CarpKey.FromPassphrase(pass), vhid, [IPAddress.Parse("192.0.2.1"), IPAddress.Parse("2001:db8::1")]);
        Span<byte> mac = stackalloc byte[20];
        hmac.Compute(counter, mac);
        var header = new byte[36];
        CarpHeaderCodec.Write(header, vhid, advSkew, demote, advBase, counter, mac);
        CarpHeaderCodec.TryRead(header, out var original);

        for (var bit = 0; bit < 36 * 8; bit++)
        {
            var flipped = (byte[])header.Clone();
            flipped[bit / 8] ^= (byte)(0x80 >> (bit % 8));
            CarpHeaderCodec.TryRead(flipped, out var decoded);
            if (CarpHeaderCodec.IsChecksumValid(flipped) && hmac.Verify(decoded.Counter, CarpHeaderCodec.Hmac(flipped)) && decoded == original)
            {
                return false;
            }
        }

        return true;
    }
}
