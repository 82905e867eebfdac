namespace Carp.Engine.Protocol;

/// <summary>
/// Finds the IP header and CARP payload in a captured Ethernet frame without allocating
/// (the receive hot path; PacketDotNet's parser allocates per packet).
/// </summary>
public static class CarpFrameReader
{
    public static CarpFrameStatus TryParse(ReadOnlySpan<byte> frame, out CarpFrame carpFrame) => throw new NotImplementedException();
}
