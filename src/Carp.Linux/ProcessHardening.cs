namespace Carp.Linux;

/// <summary>
/// Keeps CARP passes out of core dumps: a process that holds keys marks itself non-dumpable, so the
/// kernel writes no core for it and other users cannot ptrace it or read its memory through /proc.
/// carpd does this first thing; an in-process engine (a pwsh session) when it is created.
/// </summary>
public static class ProcessHardening
{
    /// <summary>PR_SET_DUMPABLE 0 for the whole process; idempotent. False when the kernel refused.</summary>
    public static bool DisableCoreDumps() => LibC.Prctl(LibC.PR_SET_DUMPABLE, 0, 0, 0, 0) == 0;

    /// <summary>Whether the kernel would write a core of this process now.</summary>
    public static bool IsDumpable => LibC.Prctl(LibC.PR_GET_DUMPABLE, 0, 0, 0, 0) != 0;
}
