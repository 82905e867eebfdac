using Carp.Engine.Core;
using Carp.Linux;
using Microsoft.Win32.SafeHandles;

namespace Carpd.Configuration;

/// <summary>
/// The checks and the bounded read shared by the configuration file and its passfiles: both may hold
/// a pass, so neither may be owned or changed by another user.
/// </summary>
internal static class TrustedFile
{
    /// <summary>Refuses files that another user owns or may change: they could inject settings or a pass.</summary>
    public static void CheckTrusted(string path, UnixFileStatus status, string fileName, int line, string what)
    {
        var euid = UnixFile.EffectiveUserId;
        if (status.OwnerId != 0 && status.OwnerId != euid)
        {
            throw new CarpdConfigurationException(fileName, line, CarpErrorCode.NotPermitted,
                $"{what} is owned by uid {status.OwnerId}, not by root.", $"Give it to root: chown root {path}; chmod 600 {path}");
        }

        if (status.IsGroupOrWorldWritable)
        {
            throw new CarpdConfigurationException(fileName, line, CarpErrorCode.NotPermitted,
                $"{what} can be changed by other users (mode {Octal(status.Mode)}).", $"Make it private: chmod 600 {path}");
        }
    }

    /// <summary>The whole file, at most <paramref name="limit"/> bytes. The caller zeroes the array when done: it may hold a pass.</summary>
    public static byte[] ReadBytes(SafeFileHandle handle, string fileName, int line, int limit, string what)
    {
        var length = RandomAccess.GetLength(handle);
        if (length > limit)
        {
            throw new CarpdConfigurationException(fileName, line, CarpErrorCode.InvalidArgument,
                $"{what} is larger than {limit} bytes.", "Check that it names the right file.");
        }

        var bytes = GC.AllocateArray<byte>((int)length, pinned: true);
        var read = 0;
        while (read < bytes.Length)
        {
            var n = RandomAccess.Read(handle, bytes.AsSpan(read), read);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        if (read == bytes.Length)
        {
            return bytes;
        }

        var shorter = bytes[..read];
        Array.Clear(bytes);
        return shorter;
    }

    public static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0xFFF, 8).PadLeft(3, '0');
}
