namespace Carp.Linux;

/// <summary>
/// A raw NETLINK_ROUTE socket opened with libc socket(2). It belongs to the network namespace of
/// the thread that constructs it, for its whole life, whichever thread uses it later.
/// </summary>
internal sealed unsafe class NetlinkChannel : IDisposable
{
    private readonly FileDescriptorHandle _fd;

    public NetlinkChannel(TimeSpan? receiveTimeout, int receiveBufferBytes = 0)
    {
        int fd = LibC.Socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, LibC.NETLINK_ROUTE);
        if (fd < 0)
        {
            throw LibC.LastError("socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)");
        }

        _fd = new FileDescriptorHandle(fd);
        // Best effort: error replies carry the kernel's explanation and not a copy of our request.
        _ = TrySetInt(LibC.SOL_NETLINK, LibC.NETLINK_EXT_ACK, 1);
        _ = TrySetInt(LibC.SOL_NETLINK, LibC.NETLINK_CAP_ACK, 1);
        if (receiveBufferBytes > 0)
        {
            _ = TrySetInt(LibC.SOL_SOCKET, LibC.SO_RCVBUF, receiveBufferBytes);
        }

        if (receiveTimeout is { } timeout)
        {
            var tv = new LibC.TimeVal
            {
                Seconds = (nint)(timeout.Ticks / TimeSpan.TicksPerSecond),
                Microseconds = (nint)(timeout.Ticks % TimeSpan.TicksPerSecond / 10),
            };
            if (LibC.SetSockOpt(fd, LibC.SOL_SOCKET, LibC.SO_RCVTIMEO, &tv, (uint)sizeof(LibC.TimeVal)) != 0)
            {
                throw LibC.LastError("setsockopt(SO_RCVTIMEO)");
            }
        }
    }

    public int Fd => _fd.Fd;

    /// <summary>Subscribes to an rtnetlink multicast group (RTNLGRP_*).</summary>
    public void AddMembership(int group)
    {
        if (!TrySetInt(LibC.SOL_NETLINK, LibC.NETLINK_ADD_MEMBERSHIP, group))
        {
            throw LibC.LastError("setsockopt(NETLINK_ADD_MEMBERSHIP)");
        }
    }

    public void Send(ReadOnlySpan<byte> message)
    {
        fixed (byte* p = message)
        {
            while (true)
            {
                nint sent = LibC.Send(_fd.Fd, p, (nuint)message.Length, 0);
                if (sent >= 0)
                {
                    return;
                }

                if (System.Runtime.InteropServices.Marshal.GetLastPInvokeError() != LibC.EINTR)
                {
                    throw LibC.LastError("send(netlink)");
                }
            }
        }
    }

    /// <summary>Receives one datagram; returns its length, or -errno (EAGAIN on timeout, ENOBUFS on overrun).</summary>
    public int Receive(Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                nint n = LibC.Recv(_fd.Fd, p, (nuint)buffer.Length, 0);
                if (n >= 0)
                {
                    return (int)n;
                }

                int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                if (errno != LibC.EINTR)
                {
                    return -errno;
                }
            }
        }
    }

    public void Dispose() => _fd.Dispose();

    private bool TrySetInt(int level, int name, int value) =>
        LibC.SetSockOpt(_fd.Fd, level, name, &value, sizeof(int)) == 0;
}
