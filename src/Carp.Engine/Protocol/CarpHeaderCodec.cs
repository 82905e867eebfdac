using System.Buffers.Binary;

namespace Carp.Engine.Protocol;

/// <summary>Encodes and decodes the 36-byte CARP header (docs/protocol.md#packet-header, docs/protocol.md#checksum). Allocation-free.</summary>
public static class CarpHeaderCodec
{
    private const int ChecksumOffset = 6;

    /// <summary>
    /// Writes version 2 / type 1 / authlen 7, the given fields, the counter (big-endian) and
    /// <paramref name="hmac"/> (20 bytes) into <paramref name="destination"/> (≥ 36 bytes), then the checksum.
    /// </summary>
    public static void Write(Span<byte> destination, byte vhid, byte advSkew, byte demoteCount, byte advBase, ulong counter, ReadOnlySpan<byte> hmac)
    {
        if (destination.Length < CarpConstants.HeaderLength)
        {
            throw new ArgumentException($"A CARP header needs {CarpConstants.HeaderLength} bytes.", nameof(destination));
        }

        if (hmac.Length != CarpConstants.HmacLength)
        {
            throw new ArgumentException($"A CARP HMAC has {CarpConstants.HmacLength} bytes.", nameof(hmac));
        }

        var header = destination[..CarpConstants.HeaderLength];
        header[0] = (CarpConstants.Version << 4) | CarpConstants.TypeAdvertisement;
        header[1] = vhid;
        header[2] = advSkew;
        header[3] = CarpConstants.AuthLen;
        header[4] = demoteCount;
        header[5] = advBase;
        header[ChecksumOffset] = 0;
        header[ChecksumOffset + 1] = 0;
        BinaryPrimitives.WriteUInt64BigEndian(header[CarpConstants.CounterOffset..], counter);
        hmac.CopyTo(header[CarpConstants.HmacOffset..]);
        BinaryPrimitives.WriteUInt16BigEndian(header[ChecksumOffset..], InternetChecksum.Compute(header));
    }

    /// <summary>Reads the fields of the first 36 bytes; false when <paramref name="source"/> is shorter.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out CarpAdvertisement advertisement)
    {
        if (source.Length < CarpConstants.HeaderLength)
        {
            advertisement = default;
            return false;
        }

        advertisement = new CarpAdvertisement(
            Version: (byte)(source[0] >> 4),
            Type: (byte)(source[0] & 0x0F),
            Vhid: source[1],
            AdvSkew: source[2],
            AuthLen: source[3],
            DemoteCount: source[4],
            AdvBase: source[5],
            Checksum: BinaryPrimitives.ReadUInt16BigEndian(source[ChecksumOffset..]),
            Counter: BinaryPrimitives.ReadUInt64BigEndian(source[CarpConstants.CounterOffset..]));
        return true;
    }

    /// <summary>True when the one's-complement sum over the first 36 bytes is valid.</summary>
    public static bool IsChecksumValid(ReadOnlySpan<byte> header) =>
        header.Length >= CarpConstants.HeaderLength && InternetChecksum.Compute(header[..CarpConstants.HeaderLength]) == 0;

    /// <summary>The 20 HMAC bytes of a header.</summary>
    public static ReadOnlySpan<byte> Hmac(ReadOnlySpan<byte> header) => header.Slice(CarpConstants.HmacOffset, CarpConstants.HmacLength);
}
