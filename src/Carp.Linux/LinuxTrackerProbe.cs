using System.Diagnostics;
using Carp.Engine.Hosting;

namespace Carp.Linux;

/// <summary>
/// The tracker probes on Linux (docs/protocol.md#trackers): a command starts as the leader of a new session and process
/// group (<c>setsid</c>), so that at its timeout the whole group is killed with SIGKILL, children it forked and a shell's
/// pipeline included; then the process tree as the portable probe kills it, for what left the group.
/// </summary>
public sealed class LinuxTrackerProbe : PortableTrackerProbe
{
    private const string Setsid = "/usr/bin/setsid";

    public static new LinuxTrackerProbe Instance { get; } = new();

    protected override Process Start(IReadOnlyList<string> arguments) =>
        base.Start(File.Exists(Setsid) ? [Setsid, "--wait", .. arguments] : arguments);

    protected override void Kill(Process process)
    {
        // setsid execs the command in place (a child of ours is no group leader), so its pid is its process group.
        _ = LibC.Kill(-process.Id, LibC.SIGKILL);
        base.Kill(process);
    }
}
