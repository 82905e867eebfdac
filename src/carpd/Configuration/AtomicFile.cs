using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Linux;

namespace Carpd.Configuration;

/// <summary>
/// Replaces a file so that a crash at any moment leaves either the old or the new content, never
/// a torn mix: write a temporary file in the same directory (mode 0600 from its creation), fsync
/// it, rename it over the target, fsync the directory.
/// </summary>
internal static class AtomicFile
{
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> contents, UnixFileMode mode = OwnerOnly)
    {
        var target = ResolveFinalPath(path);
        var directory = Path.GetDirectoryName(target) ?? "/";
        var temporary = Path.Combine(directory, $".{Path.GetFileName(target)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                UnixCreateMode = mode,
                BufferSize = 0, // unbuffered: no copy of the contents (which may hold passes) in a FileStream buffer
            };
            using (var stream = new FileStream(temporary, options))
            {
                // The umask can only remove bits; set the exact mode before any byte is written.
                File.SetUnixFileMode(stream.SafeFileHandle, mode);
                stream.Write(contents);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, target, overwrite: true);
            UnixFile.FsyncDirectory(directory);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>A symbolic link is kept: the file it points to is replaced.</summary>
    private static string ResolveFinalPath(string path)
    {
        var full = Path.GetFullPath(path);
        var info = new FileInfo(full);
        if (info.LinkTarget is null)
        {
            return full;
        }

        var final = info.ResolveLinkTarget(returnFinalTarget: true);
        return final is null ? full : Path.GetFullPath(final.FullName);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
