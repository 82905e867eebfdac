using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Carp.Linux;

/// <summary>What became of a line given to <see cref="NonBlockingFifo.TryWrite"/>.</summary>
public enum FifoWriteResult
{
    /// <summary>The whole line is in the pipe.</summary>
    Written,

    /// <summary>No process has the FIFO open for reading: the line was dropped (the next write tries to open it again).</summary>
    NoReader,

    /// <summary>The pipe is full (the reader is slow): the line was dropped.</summary>
    Full,

    /// <summary>The FIFO could not be created or opened, is not a FIFO, or the write failed: the line was dropped (see <see cref="NonBlockingFifo.LastError"/>).</summary>
    Failed,
}

/// <summary>
/// The writing end of a named pipe that never blocks its writer: opened with O_NONBLOCK when a line is to be written
/// (so a reader that comes later is found then), created with mode 0600 when it does not exist. A line of at most
/// PIPE_BUF (4096) bytes goes into the pipe whole or not at all, so readers never see half a line. Not thread-safe:
/// one writer.
/// </summary>
public sealed partial class NonBlockingFifo(string path) : IDisposable
{
    private const string Library = "libc";
    private const int OWrOnly = 0x1;
    private const int ONonBlock = 0x800;
    private const int OCloExec = 0x80000;
    private const int ENoEnt = 2;
    private const int EIntr = 4;
    private const int ENxio = 6;
    private const int EAgain = 11;
    private const int EExist = 17;
    private const int EPipe = 32;
    private const short PollOut = 0x004;
    private const int PipeBuf = 4096;

    private int _fd = -1;

    public string Path { get; } = path;

    /// <summary>Why the last <see cref="FifoWriteResult.Failed"/> happened; null before any.</summary>
    public string? LastError { get; private set; }

    public bool IsOpen => _fd >= 0;

    /// <summary>Writes <paramref name="line"/> (which should end with '\n') without waiting for a reader.</summary>
    public FifoWriteResult TryWrite(ReadOnlySpan<byte> line)
    {
        if (_fd < 0 && TryOpen() is { } notOpen)
        {
            return notOpen;
        }

        var offset = 0;
        while (offset < line.Length)
        {
            var written = Write(_fd, line[offset..]);
            if (written >= 0)
            {
                offset += (int)written;
                continue;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == EIntr)
            {
                continue;
            }

            if (errno == EAgain && offset == 0)
            {
                return FifoWriteResult.Full;
            }

            if (errno == EAgain && WaitWritable())
            {
                continue; // a line longer than PIPE_BUF went in part: finish it rather than leave half a line
            }

            Close();
            if (errno == EPipe)
            {
                return FifoWriteResult.NoReader; // the reader went away
            }

            LastError = errno == EAgain ? $"the reader of {Path} took no more of a {line.Length}-byte line" : $"writing to {Path} failed (errno {errno})";
            return FifoWriteResult.Failed;
        }

        return FifoWriteResult.Written;
    }

    public void Dispose() => Close();

    private FifoWriteResult? TryOpen()
    {
        var fd = Open(Path, OWrOnly | ONonBlock | OCloExec);
        if (fd < 0 && Marshal.GetLastPInvokeError() == ENoEnt)
        {
            if (MkFifo(Path, 0x180) != 0 && Marshal.GetLastPInvokeError() != EExist) // 0600
            {
                LastError = $"cannot create the FIFO {Path} (errno {Marshal.GetLastPInvokeError()})";
                return FifoWriteResult.Failed;
            }

            fd = Open(Path, OWrOnly | ONonBlock | OCloExec);
        }

        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == ENxio)
            {
                return FifoWriteResult.NoReader;
            }

            LastError = $"cannot open the FIFO {Path} (errno {errno})";
            return FifoWriteResult.Failed;
        }

        using (var handle = new SafeFileHandle(fd, ownsHandle: false))
        {
            if (UnixFile.GetStatus(handle).Kind != UnixFileKind.Fifo)
            {
                _ = CloseFd(fd);
                LastError = $"{Path} is not a FIFO";
                return FifoWriteResult.Failed;
            }
        }

        _fd = fd;
        return null;
    }

    /// <summary>Up to 100 ms for room in the pipe, for the rest of a line longer than PIPE_BUF.</summary>
    private bool WaitWritable()
    {
        var poll = new PollFd { Fd = _fd, Events = PollOut };
        return Poll(ref poll, 1, 100) > 0 && (poll.Revents & PollOut) != 0;
    }

    private void Close()
    {
        if (_fd >= 0)
        {
            _ = CloseFd(_fd);
            _fd = -1;
        }
    }

    /// <summary>PIPE_BUF: lines up to this length are written atomically.</summary>
    public static int AtomicLineBytes => PipeBuf;

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport(Library, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport(Library, EntryPoint = "mkfifo", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MkFifo(string path, uint mode);

    [LibraryImport(Library, EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint WriteRaw(int fd, byte* buffer, nuint count);

    [LibraryImport(Library, EntryPoint = "poll", SetLastError = true)]
    private static partial int Poll(ref PollFd fds, nuint count, int timeout);

    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    private static partial int CloseFd(int fd);

    private static unsafe nint Write(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* pointer = data)
        {
            return WriteRaw(fd, pointer, (nuint)data.Length);
        }
    }
}
