using Carp.Engine.Protocol;
using FsCheck.Xunit;

namespace Carp.Engine.Tests.Protocol;

public class ChecksumTests
{
    // Word-by-word reference straight from RFC 1071 §4.1.
    internal static ushort Reference(ReadOnlySpan<byte> data)
    {
        ulong sum = 0;
        for (var i = 0; i < data.Length; i += 2)
        {
            sum += ((uint)data[i] << 8) | (i + 1 < data.Length ? data[i + 1] : 0u);
        }

        while (sum >> 16 != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }

    [Fact]
    public void Rfc1071_example()
    {
        // RFC 1071 §3: the sum of 0001 f203 f4f5 f6f7 is ddf2.
        Assert.Equal(0xFFFF - 0xddf2, InternetChecksum.Compute(Convert.FromHexString("0001f203f4f5f6f7")));
    }

    [Fact]
    public void Empty_and_zero_data_give_ffff()
    {
        Assert.Equal(0xFFFF, InternetChecksum.Compute([]));
        Assert.Equal(0xFFFF, InternetChecksum.Compute(new byte[36]));
    }

    [Fact]
    public void Odd_trailing_byte_is_the_high_byte_of_a_padded_word()
    {
        Assert.Equal(0xFFFF - 0x0100, InternetChecksum.Compute([0x01]));
        Assert.Equal(0xFFFF - 0x1334, InternetChecksum.Compute([0x12, 0x34, 0x01]));
    }

    [Fact]
    public void Captured_ipv4_header_sums_to_zero()
    {
        var header = Convert.FromHexString("45100038ce2d4000ff70c2a10a630001e0000012");
        Assert.Equal(0, InternetChecksum.Compute(header));
        header[10] = 0;
        header[11] = 0;
        Assert.Equal(0xc2a1, InternetChecksum.Compute(header));
    }

    [Theory]
    [InlineData(0xFF, 1_000_001)]
    [InlineData(0xFF, 65_537)]
    [InlineData(0x80, 4_097)]
    public void Large_inputs_fold_every_carry(byte fill, int length)
    {
        var data = new byte[length];
        Array.Fill(data, fill);
        Assert.Equal(Reference(data), InternetChecksum.Compute(data));
    }

    [Property]
    public bool Matches_the_reference_at_any_length_and_alignment(byte[] data, byte skip)
    {
        var offset = data.Length == 0 ? 0 : skip % data.Length;
        var span = data.AsSpan(offset);
        return InternetChecksum.Compute(span) == Reference(span);
    }

    [Property]
    public bool Storing_the_checksum_makes_the_sum_valid(byte[] data)
    {
        var buffer = new byte[(data.Length + 1) / 2 * 2 + 2];
        data.CopyTo(buffer, 2);
        var checksum = InternetChecksum.Compute(buffer);
        buffer[0] = (byte)(checksum >> 8);
        buffer[1] = (byte)checksum;
        return InternetChecksum.Compute(buffer) == 0;
    }
}
