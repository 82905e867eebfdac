namespace Carp.Linux;

/// <summary>A pcap device could not be opened, configured, or could not send.</summary>
public sealed class PacketDeviceException : IOException
{
    public PacketDeviceException()
    {
    }

    public PacketDeviceException(string message)
        : base(message)
    {
    }

    public PacketDeviceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
