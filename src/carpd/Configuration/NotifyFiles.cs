using Carp.Engine.Core;
using Carp.Linux;

namespace Carpd.Configuration;

/// <summary>
/// The checks on the files notify statements name (docs/protocol.md#notify-hooks). carpd runs a hook as root, so it
/// must be a regular executable file that only root (or carpd's own user) owns and can change; the event FIFO, which
/// consumers trust, must be a FIFO that no other user can write to, or not exist yet (carpd then creates it, mode 0600).
/// The hook check runs at load and again before every run.
/// </summary>
internal static class NotifyFiles
{
    /// <summary>What is wrong with hook <paramref name="path"/> and what to do; null when it may run.</summary>
    public static (string Problem, string Action)? HookProblem(string path)
    {
        UnixFileStatus? found;
        var target = path;
        try
        {
            found = UnixFile.TryGetStatus(path);
            if (found is { Kind: UnixFileKind.SymbolicLink })
            {
                target = File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName ?? path;
                found = UnixFile.TryGetStatus(target);
            }
        }
        catch (IOException ex)
        {
            return ($"the notify hook {path} cannot be checked: {ex.Message}", "Check the path.");
        }

        if (found is not { } status)
        {
            return ($"the notify hook {path} does not exist.", "Install the program there, or correct the path.");
        }

        if (status.Kind != UnixFileKind.Regular)
        {
            return ($"the notify hook {path} is not a regular file.", "Name an executable file.");
        }

        var euid = UnixFile.EffectiveUserId;
        if (status.OwnerId != 0 && status.OwnerId != euid)
        {
            return ($"the notify hook {path} is owned by uid {status.OwnerId}, not by root: carpd runs it as root.", $"Give it to root: chown root {target}; chmod go-w {target}");
        }

        if (status.IsGroupOrWorldWritable)
        {
            return ($"the notify hook {path} can be changed by other users (mode {TrustedFile.Octal(status.Mode)}): carpd runs it as root.", $"chmod go-w {target}");
        }

        if ((status.Mode & UnixFileMode.UserExecute) == 0)
        {
            return ($"the notify hook {path} is not executable (mode {TrustedFile.Octal(status.Mode)}).", $"chmod 755 {target}");
        }

        return null;
    }

    public static void CheckHook(string path, string fileName, int line)
    {
        if (HookProblem(path) is { } problem)
        {
            throw new CarpdConfigurationException(fileName, line, CarpErrorCode.NotPermitted, problem.Problem, problem.Action);
        }
    }

    /// <summary>What is wrong with an existing event FIFO; null when it is usable or does not exist yet.</summary>
    public static (string Problem, string Action)? FifoProblem(string path)
    {
        UnixFileStatus? found;
        try
        {
            found = UnixFile.TryGetStatus(path);
        }
        catch (IOException ex)
        {
            return ($"the notify_fifo {path} cannot be checked: {ex.Message}", "Check the path.");
        }

        if (found is not { } status)
        {
            return null;
        }

        if (status.Kind != UnixFileKind.Fifo)
        {
            return ($"the notify_fifo {path} exists and is not a FIFO.", $"Remove it (carpd creates the FIFO, mode 0600), or name another path: mkfifo -m 600 {path}");
        }

        var euid = UnixFile.EffectiveUserId;
        if (status.OwnerId != 0 && status.OwnerId != euid)
        {
            return ($"the notify_fifo {path} is owned by uid {status.OwnerId}, not by root.", $"Give it to root: chown root {path}; chmod go-w {path}");
        }

        if (status.IsGroupOrWorldWritable)
        {
            return ($"the notify_fifo {path} can be written by other users (mode {TrustedFile.Octal(status.Mode)}), who could forge events.", $"chmod go-w {path}");
        }

        return null;
    }

    public static void CheckFifo(string path, string fileName, int line)
    {
        if (FifoProblem(path) is { } problem)
        {
            throw new CarpdConfigurationException(fileName, line, CarpErrorCode.NotPermitted, problem.Problem, problem.Action);
        }
    }
}
