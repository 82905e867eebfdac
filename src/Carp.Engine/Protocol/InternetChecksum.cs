using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Carp.Engine.Protocol;

/// <summary>RFC 1071 one's-complement checksum.</summary>
public static class InternetChecksum
{
    /// <summary>The checksum to store (the complement of the folded sum).</summary>
    public static ushort Compute(ReadOnlySpan<byte> data) => (ushort)~Fold(Sum(data, 0));

    /// <summary>
    /// Adds <paramref name="data"/> to a running one's-complement sum (for pseudo-headers).
    /// The sum is kept in native byte order; every part except the last must have an even length.
    /// </summary>
    internal static ulong Sum(ReadOnlySpan<byte> data, ulong sum)
    {
        // One's-complement addition is byte-order independent (RFC 1071 §2(B)): sum native words
        // and swap once at the end.
        while (data.Length >= 32)
        {
            sum = Add(sum, MemoryMarshal.Read<ulong>(data));
            sum = Add(sum, MemoryMarshal.Read<ulong>(data[8..]));
            sum = Add(sum, MemoryMarshal.Read<ulong>(data[16..]));
            sum = Add(sum, MemoryMarshal.Read<ulong>(data[24..]));
            data = data[32..];
        }

        while (data.Length >= 8)
        {
            sum = Add(sum, MemoryMarshal.Read<ulong>(data));
            data = data[8..];
        }

        if (data.Length >= 4)
        {
            sum = Add(sum, MemoryMarshal.Read<uint>(data));
            data = data[4..];
        }

        if (data.Length >= 2)
        {
            sum = Add(sum, MemoryMarshal.Read<ushort>(data));
            data = data[2..];
        }

        if (data.Length == 1)
        {
            // A trailing odd byte is the high-order byte of a zero-padded network-order word.
            sum = Add(sum, BitConverter.IsLittleEndian ? data[0] : (ulong)data[0] << 8);
        }

        return sum;
    }

    /// <summary>Folds a native-order running sum to 16 bits in network (numeric) order, not complemented.</summary>
    internal static ushort Fold(ulong sum)
    {
        sum = (sum & 0xFFFFFFFF) + (sum >> 32);
        sum = (sum & 0xFFFFFFFF) + (sum >> 32);
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        var folded = (ushort)sum;
        return BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(folded) : folded;
    }

    private static ulong Add(ulong sum, ulong value)
    {
        var result = sum + value;
        // End-around carry; cannot overflow again because a wrapped result is below value.
        return result + (result < value ? 1UL : 0UL);
    }
}
