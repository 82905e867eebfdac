using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Carp.Linux;

/// <summary>What kind of file system object a path names.</summary>
public enum UnixFileKind
{
    Other,
    Regular,
    Directory,
    Socket,
    SymbolicLink,
    Fifo,
}

/// <summary>Type, permission bits and owner of a file, as statx(2) reports them.</summary>
public readonly record struct UnixFileStatus(UnixFileKind Kind, UnixFileMode Mode, uint OwnerId)
{
    /// <summary>Group or others may read or write the file.</summary>
    public bool IsGroupOrWorldReadable => (Mode & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0;

    public bool IsGroupOrWorldWritable => (Mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0;
}

/// <summary>
/// The little POSIX file API .NET does not expose: the file type and owner (statx, whose layout is
/// the same on every Linux architecture), the effective uid, and fsync of a directory.
/// </summary>
public static partial class UnixFile
{
    private const string Library = "libc";
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1;
    private const uint StatxMode = 0x2;
    private const uint StatxUid = 0x8;
    private const int ORdOnly = 0;
    private const int OCloExec = 0x80000;
    private const int ENoEnt = 2;

    /// <summary>The status of <paramref name="path"/> itself (a symbolic link is not followed); null if it does not exist.</summary>
    public static UnixFileStatus? TryGetStatus(string path)
    {
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType | StatxMode | StatxUid, out var buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == ENoEnt)
            {
                return null;
            }

            throw new IOException($"Cannot read the status of {path} (errno {errno}).", errno);
        }

        return ToStatus(buffer);
    }

    /// <summary>The status of an open file: no race between checking and reading it.</summary>
    public static UnixFileStatus GetStatus(SafeFileHandle handle)
    {
        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            var fd = (int)handle.DangerousGetHandle();
            if (Statx(fd, string.Empty, AtEmptyPath, StatxType | StatxMode | StatxUid, out var buffer) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new IOException($"Cannot read the status of an open file (errno {errno}).", errno);
            }

            return ToStatus(buffer);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    public static uint EffectiveUserId => GetEuid();

    /// <summary>Makes a rename in <paramref name="directory"/> durable. Best effort: some file systems refuse it.</summary>
    public static void FsyncDirectory(string directory)
    {
        var fd = Open(directory, ORdOnly | OCloExec);
        if (fd < 0)
        {
            return;
        }

        try
        {
            _ = Fsync(fd);
        }
        finally
        {
            _ = Close(fd);
        }
    }

    private static UnixFileStatus ToStatus(in StatxBuffer buffer)
    {
        var kind = (buffer.Mode & 0xF000) switch
        {
            0x8000 => UnixFileKind.Regular,
            0x4000 => UnixFileKind.Directory,
            0xC000 => UnixFileKind.Socket,
            0xA000 => UnixFileKind.SymbolicLink,
            0x1000 => UnixFileKind.Fifo,
            _ => UnixFileKind.Other,
        };
        return new UnixFileStatus(kind, (UnixFileMode)(buffer.Mode & 0xFFF), buffer.Uid);
    }

    /// <summary>The start of struct statx; the kernel writes 256 bytes.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 256)]
    private struct StatxBuffer
    {
        public uint Mask;
        public uint BlockSize;
        public ulong Attributes;
        public uint LinkCount;
        public uint Uid;
        public uint Gid;
        public ushort Mode;
    }

    [LibraryImport(Library, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directoryFd, string path, int flags, uint mask, out StatxBuffer buffer);

    [LibraryImport(Library, EntryPoint = "geteuid")]
    private static partial uint GetEuid();

    [LibraryImport(Library, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport(Library, EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
