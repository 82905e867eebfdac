namespace Carp.Linux;

/// <summary>libpcap could not be loaded. On Debian/Ubuntu: "apt-get install libpcap0.8".</summary>
public sealed class LibpcapMissingException : Exception
{
    public const string DefaultMessage =
        "libpcap is not installed (libpcap.so.0.8 / libpcap.so.1 could not be loaded): install libpcap0.8 (apt-get install libpcap0.8).";

    public LibpcapMissingException()
        : base(DefaultMessage)
    {
    }

    public LibpcapMissingException(string message)
        : base(message)
    {
    }

    public LibpcapMissingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
