using System.Net;
using System.Net.Sockets;

namespace Carp.Engine.Protocol;

/// <summary>Where the parts of a received IPv4/IPv6 protocol-112 Ethernet frame are (offsets into the frame).</summary>
public readonly record struct CarpFrame(
    AddressFamily Family,
    int SourceOffset,
    int DestinationOffset,
    byte Ttl,
    bool IsMulticastDestination,
    int PayloadOffset,
    int PayloadLength)
{
    public int AddressLength => Family == AddressFamily.InterNetwork ? 4 : 16;

    public ReadOnlySpan<byte> Source(ReadOnlySpan<byte> frame) => frame.Slice(SourceOffset, AddressLength);

    public ReadOnlySpan<byte> Payload(ReadOnlySpan<byte> frame) => frame.Slice(PayloadOffset, PayloadLength);

    public IPAddress SourceAddress(ReadOnlySpan<byte> frame) => new(Source(frame));
}

public enum CarpFrameStatus
{
    /// <summary>An IPv4 or IPv6 packet with protocol / next header 112.</summary>
    Carp,
    /// <summary>Not IP, or another protocol: not ours to count.</summary>
    NotCarp,
    /// <summary>The IP header itself is cut short (the kernels' <c>hdrops</c>).</summary>
    Truncated,
}
