using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Linux;

namespace Carpd.Configuration;

/// <summary>
/// carpd runs a script tracker's command as root (docs/protocol.md#trackers), so the program must be one that only root
/// can change: found (an absolute path, or on PATH), a regular file, owned by root (or by carpd's user) and writable by
/// no one else. Refusals are <see cref="CarpErrorCode.NotPermitted"/> or <see cref="CarpErrorCode.InvalidArgument"/>.
/// </summary>
internal static class TrackerCommandCheck
{
    public static void Check(TrackerConfig config)
    {
        if (config.Kind != TrackerKind.Script)
        {
            return;
        }

        var program = config.Arguments[0];
        var path = Resolve(program) ?? throw new CarpException(CarpErrorCode.InvalidArgument,
            $"tracker {config.Name}: the command {program} was not found{(program.Contains('/', StringComparison.Ordinal) ? string.Empty : " on PATH")}.");
        var status = UnixFile.TryGetStatus(path) ?? throw new CarpException(CarpErrorCode.InvalidArgument, $"tracker {config.Name}: {path} cannot be read.");
        if (status.Kind != UnixFileKind.Regular)
        {
            throw new CarpException(CarpErrorCode.InvalidArgument, $"tracker {config.Name}: {path} is not a regular file.");
        }

        if (status.OwnerId != 0 && status.OwnerId != UnixFile.EffectiveUserId)
        {
            throw new CarpException(CarpErrorCode.NotPermitted,
                $"tracker {config.Name}: {path} is owned by uid {status.OwnerId}, not by root: carpd runs it as root, so only root may own it.");
        }

        if (status.IsGroupOrWorldWritable)
        {
            throw new CarpException(CarpErrorCode.NotPermitted,
                $"tracker {config.Name}: {path} can be changed by other users (mode {TrustedFile.Octal(status.Mode)}): carpd runs it as root.");
        }
    }

    /// <summary>The program's file: the path as written when it has a '/', else the first match on PATH; null when absent.</summary>
    private static string? Resolve(string program)
    {
        if (program.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(program) ? Path.GetFullPath(program) : null;
        }

        var searchPath = Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin";
        return searchPath.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, program))
            .FirstOrDefault(File.Exists);
    }
}
