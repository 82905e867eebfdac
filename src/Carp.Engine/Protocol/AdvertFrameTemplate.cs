using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Carp.Engine.Protocol;

/// <summary>
/// One virtual host's advert frame of one family, built once with <see cref="CarpFrameBuilder.Advertisement"/> (PacketDotNet)
/// and then reused: per advert only the 36-byte CARP header, and for IPv4 the identification and the IP header checksum,
/// are written into the same buffer (docs/protocol.md#prebuilt-advert-frames). Nothing else of an advert changes between
/// adverts, so the bytes equal what PacketDotNet builds for the same header and identification, without its 1.5 µs and
/// 1.6 kB per frame. The returned span is valid until the next <see cref="Write"/>. Not thread-safe.
/// </summary>
public sealed class AdvertFrameTemplate
{
    private const int EthernetLength = 14;
    private const int IPv4HeaderLength = 20;
    private const int IPv6HeaderLength = 40;
    private const int IPv4IdentificationOffset = EthernetLength + 4;
    private const int IPv4ChecksumOffset = EthernetLength + 10;

    private readonly byte[] _frame;
    private readonly int _carpOffset;

    /// <summary>
    /// Builds the frame as <see cref="CarpFrameBuilder.Advertisement"/> does, with an all-zero payload of
    /// <paramref name="payloadLength"/> bytes (36 for a CARP header; a VRRPv3 advert's length depends on its address count,
    /// docs/protocol.md#vrrp-packet) and identification 0.
    /// </summary>
    /// <exception cref="ArgumentException">As <see cref="CarpFrameBuilder.Advertisement"/>.</exception>
    public AdvertFrameTemplate(PhysicalAddress sourceMac, IPAddress source, IPAddress destination, byte trafficClass, PhysicalAddress? destinationMac = null,
        int payloadLength = CarpConstants.HeaderLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(payloadLength, 1);
        _frame = CarpFrameBuilder.Advertisement(sourceMac, source, destination, trafficClass, new byte[payloadLength], destinationMac, identification: 0);
        IsIPv4 = source.AddressFamily == AddressFamily.InterNetwork;
        _carpOffset = EthernetLength + (IsIPv4 ? IPv4HeaderLength : IPv6HeaderLength);
        PayloadLength = payloadLength;
        if (_frame.Length != _carpOffset + payloadLength)
        {
            throw new InvalidOperationException($"PacketDotNet built a {_frame.Length}-byte advert frame; expected {_carpOffset + payloadLength}.");
        }
    }

    /// <summary>The length of the payload (CARP header or VRRP advert) every <see cref="Write"/> carries.</summary>
    public int PayloadLength { get; }

    public bool IsIPv4 { get; }

    /// <summary>Frame length: for a CARP header 70 bytes (IPv4) or 90 bytes (IPv6).</summary>
    public int Length => _frame.Length;

    /// <summary>
    /// The frame carrying <paramref name="carpHeader"/> (<see cref="PayloadLength"/> bytes, checksum included). IPv4: with
    /// <paramref name="identification"/> and the header checksum recomputed; IPv6 has neither and ignores it.
    /// </summary>
    public ReadOnlySpan<byte> Write(ReadOnlySpan<byte> carpHeader, ushort identification)
    {
        if (carpHeader.Length != PayloadLength)
        {
            throw new ArgumentException($"This frame carries a {PayloadLength}-byte payload, not {carpHeader.Length} bytes.", nameof(carpHeader));
        }

        carpHeader.CopyTo(_frame.AsSpan(_carpOffset));
        if (IsIPv4)
        {
            var frame = _frame.AsSpan();
            BinaryPrimitives.WriteUInt16BigEndian(frame[IPv4IdentificationOffset..], identification);
            frame[IPv4ChecksumOffset] = frame[IPv4ChecksumOffset + 1] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(frame[IPv4ChecksumOffset..], InternetChecksum.Compute(frame.Slice(EthernetLength, IPv4HeaderLength)));
        }

        return _frame;
    }
}
