using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net.NetworkInformation;

namespace Carp.Engine.Hosting;

/// <summary>
/// The probes of trackers with the BCL alone (docs/protocol.md#trackers): a command as a child process without a shell,
/// killed with its process tree at the timeout; a link's operational state; a file's number. The Linux adapters start a
/// command in a process group of its own and kill the whole group (<c>LinuxTrackerProbe</c>).
/// </summary>
public class PortableTrackerProbe : ITrackerProbe
{
    /// <summary>The longest a file tracker reads: a number and a newline.</summary>
    private const int MaxFileBytes = 64;

    /// <summary>How long a killed command may take to be reaped before the probe reports anyway.</summary>
    private static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(2);

    public static PortableTrackerProbe Instance { get; } = new();

    public Task<TrackerProbeResult> ProbeAsync(TrackerConfig config, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config.Kind switch
        {
            TrackerKind.Script => RunAsync(config, cancellationToken),
            TrackerKind.Link => Task.FromResult(ProbeLink(config.Target)),
            _ => Task.FromResult(ReadNumber(config.Target)),
        };
    }

    /// <summary>Starts the command (<paramref name="arguments"/>[0] is the program) with its output discarded.</summary>
    protected virtual Process Start(IReadOnlyList<string> arguments)
    {
        var info = new ProcessStartInfo(arguments[0])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments.Skip(1))
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info) ?? throw new InvalidOperationException($"{arguments[0]} did not start.");
    }

    /// <summary>Kills the command and whatever it started.</summary>
    protected virtual void Kill(Process process) => process.Kill(entireProcessTree: true);

    /// <summary>A link is up when its operational state is up (or unknown, as for a dummy interface that is up).</summary>
    protected virtual TrackerProbeResult ProbeLink(string name)
    {
        var link = NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(n => string.Equals(n.Name, name, StringComparison.Ordinal));
        return link is null ? TrackerProbeResult.Failed($"no interface {name}")
            : link.OperationalStatus is OperationalStatus.Up or OperationalStatus.Unknown ? TrackerProbeResult.Passed("link up")
            : TrackerProbeResult.Failed($"link {link.OperationalStatus.ToString().ToLowerInvariant()}");
    }

    private async Task<TrackerProbeResult> RunAsync(TrackerConfig config, CancellationToken cancellationToken)
    {
        Process process;
        try
        {
            process = Start(config.Arguments);
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException or IOException)
        {
            return TrackerProbeResult.Failed($"cannot run {config.Arguments[0]}: {ex.Message}");
        }

        using (process)
        {
            process.StandardInput.Close();
            _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
            _ = process.StandardError.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(config.Timeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
                return process.ExitCode == 0 ? TrackerProbeResult.Passed("exit 0")
                    : TrackerProbeResult.Failed(string.Create(CultureInfo.InvariantCulture, $"exit {process.ExitCode}"));
            }
            catch (OperationCanceledException)
            {
                try
                {
                    Kill(process);
                }
                catch (Exception ex) when (ex is InvalidOperationException or Win32Exception)
                {
                    // It ended between the timeout and the kill.
                }

                // Reaped before the verdict: a killed command is gone when its failure counts.
                using var reaped = new CancellationTokenSource(KillGrace);
                try
                {
                    await process.WaitForExitAsync(reaped.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // SIGKILL cannot be ignored; a process in uninterruptible sleep ends when its I/O does.
                }

                cancellationToken.ThrowIfCancellationRequested();
                return TrackerProbeResult.Failed(string.Create(CultureInfo.InvariantCulture,
                    $"timed out after {config.Timeout.TotalSeconds:0.###} s: killed"));
            }
        }
    }

    private static TrackerProbeResult ReadNumber(string path)
    {
        string text;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
            var buffer = new byte[MaxFileBytes];
            var length = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            text = System.Text.Encoding.UTF8.GetString(buffer, 0, length).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return TrackerProbeResult.Failed($"cannot read {path}: {ex.Message}");
        }

        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            return TrackerProbeResult.Failed("not a number");
        }

        return value == 0 ? TrackerProbeResult.Passed("value 0")
            : value < 0 ? TrackerProbeResult.Failed(string.Create(CultureInfo.InvariantCulture, $"value {value}"))
            : TrackerProbeResult.Failed(string.Create(CultureInfo.InvariantCulture, $"value {value}"), (int)Math.Min(value, TrackerConfig.MaxWeight));
    }
}
