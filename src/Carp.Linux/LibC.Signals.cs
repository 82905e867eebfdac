using System.Runtime.InteropServices;

namespace Carp.Linux;

/// <summary>Signals for the trackers' commands (<see cref="LinuxTrackerProbe"/>).</summary>
internal static partial class LibC
{
    internal const int SIGKILL = 9;

    /// <summary>kill(2); a negative <paramref name="pid"/> signals the process group −pid.</summary>
    [LibraryImport(Library, EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);
}
