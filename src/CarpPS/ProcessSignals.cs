using System.Runtime.InteropServices;

namespace CarpPS;

/// <summary>
/// A pwsh process that runs the in-process engine bows out and releases its addresses before a
/// signal ends it, as carpd does: SIGTERM (kill, systemd), SIGHUP (an SSH disconnect), SIGQUIT, and
/// SIGINT where it ends the process (a script run with -File or -Command; at an interactive prompt
/// Ctrl+C only stops the running command, so there the engine keeps running). If the process dies
/// without a chance to run this (SIGKILL), the wire's address guardian removes the addresses.
/// </summary>
internal static class ProcessSignals
{
    private static readonly List<PosixSignalRegistration> Registrations = [];

    private static readonly string[] NonInteractiveSwitches =
        ["-file", "-f", "-command", "-c", "-encodedcommand", "-e", "-ec", "-noninteractive", "-noni"];

    /// <summary>Runs <paramref name="stop"/> before any of those signals ends the process; once per process.</summary>
    public static void Hook(Action stop)
    {
        lock (Registrations)
        {
            if (Registrations.Count != 0)
            {
                return;
            }

            var signals = new List<PosixSignal> { PosixSignal.SIGTERM, PosixSignal.SIGHUP, PosixSignal.SIGQUIT };
            if (!IsInteractive(Environment.GetCommandLineArgs()))
            {
                signals.Add(PosixSignal.SIGINT);
            }

            foreach (var signal in signals)
            {
                // Cancel stays false: after the bow-out the signal does what it always does and ends the process.
                Registrations.Add(PosixSignalRegistration.Create(signal, _ => stop()));
            }
        }
    }

    /// <summary>True for a pwsh at its prompt: no script, command or -NonInteractive on its command line.</summary>
    internal static bool IsInteractive(IReadOnlyList<string> commandLine) =>
        !commandLine.Skip(1).Any(arg => NonInteractiveSwitches.Contains(arg, StringComparer.OrdinalIgnoreCase) ||
                                        arg.EndsWith(".ps1", StringComparison.OrdinalIgnoreCase));
}
