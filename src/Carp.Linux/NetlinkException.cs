namespace Carp.Linux;

/// <summary>
/// The kernel refused a netlink request (an NLMSG_ERROR with a negative errno), or the netlink
/// conversation failed. <see cref="ErrnoName"/> carries the symbolic name, e.g. "EEXIST".
/// </summary>
public sealed class NetlinkException : IOException
{
    public NetlinkException()
    {
        ErrnoName = string.Empty;
    }

    public NetlinkException(string message)
        : base(message)
    {
        ErrnoName = string.Empty;
    }

    public NetlinkException(string message, Exception innerException)
        : base(message, innerException)
    {
        ErrnoName = string.Empty;
    }

    public NetlinkException(string operation, int errno, string? kernelMessage = null)
        : base(BuildMessage(operation, errno, kernelMessage), errno)
    {
        Errno = errno;
        ErrnoName = Linux.Errno.Name(errno);
        KernelMessage = kernelMessage;
    }

    /// <summary>The positive errno value (e.g. 17 for EEXIST); 0 when not from the kernel.</summary>
    public int Errno { get; }

    /// <summary>Symbolic errno name such as "EEXIST", "EADDRNOTAVAIL", "EPERM".</summary>
    public string ErrnoName { get; }

    /// <summary>The kernel's extended-ack text, when it sent one.</summary>
    public string? KernelMessage { get; }

    private static string BuildMessage(string operation, int errno, string? kernelMessage) =>
        string.IsNullOrEmpty(kernelMessage)
            ? $"{operation} failed: {Linux.Errno.Describe(errno)}"
            : $"{operation} failed: {Linux.Errno.Describe(errno)}: {kernelMessage}";
}
