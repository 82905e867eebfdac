namespace Carp.Engine.Protocol;

/// <summary>RFC 1071 one's-complement checksum.</summary>
public static class InternetChecksum
{
    /// <summary>The checksum to store (the complement of the folded sum).</summary>
    public static ushort Compute(ReadOnlySpan<byte> data) => throw new NotImplementedException();
}
