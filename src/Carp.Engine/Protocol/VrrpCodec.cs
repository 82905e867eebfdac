using System.Buffers.Binary;
using System.Net;

namespace Carp.Engine.Protocol;

/// <summary>
/// Encodes and decodes VRRPv3 advertisements (docs/protocol.md#vrrp-packet) and their checksum
/// (docs/protocol.md#vrrp-checksum). Allocation-free. An address family is told by the length of the source and
/// destination spans (4 or 16 bytes).
/// </summary>
public static class VrrpCodec
{
    /// <summary>The length of an advert carrying <paramref name="count"/> addresses of <paramref name="addressLength"/> bytes.</summary>
    public static int Length(int count, int addressLength) => VrrpConstants.FixedLength + (count * addressLength);

    /// <summary>
    /// Writes version 3 / type 1, the fields, the addresses (<paramref name="addresses"/>: their network-order bytes, one
    /// after another) and the checksum over the message and, per <paramref name="mode"/>, the pseudo-header of
    /// <paramref name="source"/> → <paramref name="destination"/>. Returns the length written.
    /// </summary>
    /// <exception cref="ArgumentException">A span too short, an interval outside 1–4095, or addresses of the wrong length.</exception>
    public static int Write(Span<byte> destinationBuffer, byte vrid, byte priority, ushort interval, ReadOnlySpan<byte> addresses,
        ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, VrrpChecksumMode mode)
    {
        var addressLength = AddressLength(source, destination);
        if (addresses.Length % addressLength != 0 || addresses.Length / addressLength is 0 or > byte.MaxValue)
        {
            throw new ArgumentException($"A VRRP advert carries 1 to 255 addresses of {addressLength} bytes.", nameof(addresses));
        }

        if (interval is < VrrpConstants.IntervalMin or > VrrpConstants.IntervalMax)
        {
            throw new ArgumentException($"The VRRP advertisement interval is {VrrpConstants.IntervalMin} to {VrrpConstants.IntervalMax} centiseconds, not {interval}.", nameof(interval));
        }

        var length = VrrpConstants.FixedLength + addresses.Length;
        if (destinationBuffer.Length < length)
        {
            throw new ArgumentException($"This VRRP advert needs {length} bytes.", nameof(destinationBuffer));
        }

        var message = destinationBuffer[..length];
        message[0] = (VrrpConstants.Version << 4) | VrrpConstants.TypeAdvertisement;
        message[1] = vrid;
        message[2] = priority;
        message[3] = (byte)(addresses.Length / addressLength);
        BinaryPrimitives.WriteUInt16BigEndian(message[4..], interval);
        message[VrrpConstants.ChecksumOffset] = message[VrrpConstants.ChecksumOffset + 1] = 0;
        addresses.CopyTo(message[VrrpConstants.FixedLength..]);
        BinaryPrimitives.WriteUInt16BigEndian(message[VrrpConstants.ChecksumOffset..], Checksum(message, source, destination, mode));
        return length;
    }

    /// <summary>Reads the fixed fields; false when <paramref name="source"/> is shorter than 8 bytes.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out VrrpAdvertisement advertisement)
    {
        if (source.Length < VrrpConstants.FixedLength)
        {
            advertisement = default;
            return false;
        }

        advertisement = new VrrpAdvertisement(
            Version: (byte)(source[0] >> 4),
            Type: (byte)(source[0] & 0x0F),
            Vrid: source[1],
            Priority: source[2],
            AddressCount: source[3],
            Interval: (ushort)(BinaryPrimitives.ReadUInt16BigEndian(source[4..]) & 0x0FFF),
            Checksum: BinaryPrimitives.ReadUInt16BigEndian(source[VrrpConstants.ChecksumOffset..]));
        return true;
    }

    /// <summary>The address list of an advert whose count was checked against its length.</summary>
    public static ReadOnlySpan<byte> Addresses(ReadOnlySpan<byte> message, int count, int addressLength) =>
        message.Slice(VrrpConstants.FixedLength, count * addressLength);

    /// <summary>
    /// The checksum to store for <paramref name="message"/> (its checksum field zero), or, over a received message with
    /// its checksum in place, 0 when that checksum is right.
    /// </summary>
    public static ushort Checksum(ReadOnlySpan<byte> message, ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, VrrpChecksumMode mode)
    {
        var isV6 = AddressLength(source, destination) == 16;
        if (!isV6 && mode == VrrpChecksumMode.MessageOnly)
        {
            return InternetChecksum.Compute(message);
        }

        Span<byte> tail = stackalloc byte[isV6 ? 8 : 4];
        if (isV6)
        {
            // RFC 8200 §8.1: upper-layer length (32 bits), three zero bytes, next header.
            BinaryPrimitives.WriteUInt32BigEndian(tail, (uint)message.Length);
            tail[7] = CarpConstants.IpProtocol;
        }
        else
        {
            // The IPv4 pseudo-header of TCP and UDP: a zero byte, the protocol, the length.
            tail[1] = CarpConstants.IpProtocol;
            BinaryPrimitives.WriteUInt16BigEndian(tail[2..], (ushort)message.Length);
        }

        var sum = InternetChecksum.Sum(source, 0);
        sum = InternetChecksum.Sum(destination, sum);
        sum = InternetChecksum.Sum(tail, sum);
        sum = InternetChecksum.Sum(message, sum);
        return (ushort)~InternetChecksum.Fold(sum);
    }

    /// <summary>
    /// True when the received <paramref name="message"/>'s checksum is right by either IPv4 convention (peers differ:
    /// docs/protocol.md#vrrp-checksum), or by the IPv6 one; <paramref name="mode"/> says which matched.
    /// </summary>
    public static bool IsChecksumValid(ReadOnlySpan<byte> message, ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, out VrrpChecksumMode mode)
    {
        mode = VrrpChecksumMode.PseudoHeader;
        if (Checksum(message, source, destination, VrrpChecksumMode.PseudoHeader) == 0)
        {
            return true;
        }

        mode = VrrpChecksumMode.MessageOnly;
        return source.Length == 4 && Checksum(message, source, destination, VrrpChecksumMode.MessageOnly) == 0;
    }

    /// <summary>Network-order bytes of an address, for the pseudo-header and the address list.</summary>
    public static int WriteAddress(IPAddress address, Span<byte> destination) =>
        address.TryWriteBytes(destination, out var written) ? written : throw new ArgumentException("The buffer is too short for the address.", nameof(destination));

    private static int AddressLength(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination) =>
        source.Length is 4 or 16 && destination.Length == source.Length
            ? source.Length
            : throw new ArgumentException("Source and destination must both be IPv4 (4 bytes) or both IPv6 (16 bytes).", nameof(source));
}
