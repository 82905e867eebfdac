using System.Runtime.InteropServices;
using Carp.Engine.Hosting;

namespace Carp.Linux;

/// <summary>
/// A wait with a nanosecond deadline that any thread can cut short: an eventfd polled with ppoll.
/// Monitor and semaphore waits only take whole milliseconds and wake up to a tick late.
/// </summary>
public sealed unsafe class EventFdWakeSignal : IWakeSignal
{
    private readonly FileDescriptorHandle _fd;

    public EventFdWakeSignal()
    {
        var fd = LibC.EventFd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
        if (fd < 0)
        {
            throw new IOException($"eventfd failed: errno {Marshal.GetLastPInvokeError()}");
        }

        _fd = new FileDescriptorHandle(fd);
    }

    /// <summary>Wakes the waiter (now, or at its next wait).</summary>
    public void Set()
    {
        // Held while in use: a late Set from a capture thread must not write into a number reused after Dispose.
        var added = false;
        try
        {
            _fd.DangerousAddRef(ref added);
            ulong one = 1;
            LibC.Write(_fd.Fd, &one, sizeof(ulong));
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            if (added)
            {
                _fd.DangerousRelease();
            }
        }
    }

    /// <summary>Waits until <see cref="Set"/> or until <paramref name="timeoutNanoseconds"/> pass (negative: no limit); true if set.</summary>
    public bool Wait(long timeoutNanoseconds)
    {
        var pfd = new LibC.PollFd { Fd = _fd.Fd, Events = LibC.POLLIN };
        var timeout = new LibC.TimeSpec
        {
            Seconds = (nint)(Math.Max(0, timeoutNanoseconds) / 1_000_000_000),
            Nanoseconds = (nint)(Math.Max(0, timeoutNanoseconds) % 1_000_000_000),
        };
        var rc = LibC.PPoll(&pfd, 1, timeoutNanoseconds < 0 ? null : &timeout, null);
        if (rc <= 0)
        {
            return false;
        }

        ulong value;
        LibC.Read(_fd.Fd, &value, sizeof(ulong));
        return true;
    }

    public void Dispose() => _fd.Dispose();
}
