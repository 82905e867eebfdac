namespace Carp.Engine.Protocol;

/// <summary>Encodes and decodes the 36-byte CARP header (spec §1.2, §1.3). Allocation-free.</summary>
public static class CarpHeaderCodec
{
    /// <summary>
    /// Writes version 2 / type 1 / authlen 7, the given fields, the counter (big-endian) and
    /// <paramref name="hmac"/> (20 bytes) into <paramref name="destination"/> (≥ 36 bytes), then the checksum.
    /// </summary>
    public static void Write(Span<byte> destination, byte vhid, byte advSkew, byte demote, byte advBase, ulong counter, ReadOnlySpan<byte> hmac) =>
        throw new NotImplementedException();

    /// <summary>Reads the fields of the first 36 bytes; false when <paramref name="source"/> is shorter.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out CarpAdvertisement advertisement) => throw new NotImplementedException();

    /// <summary>True when the one's-complement sum over the first 36 bytes is valid.</summary>
    public static bool IsChecksumValid(ReadOnlySpan<byte> header) => throw new NotImplementedException();

    /// <summary>The 20 HMAC bytes of a header.</summary>
    public static ReadOnlySpan<byte> Hmac(ReadOnlySpan<byte> header) => header.Slice(CarpConstants.HmacOffset, CarpConstants.HmacLength);
}
