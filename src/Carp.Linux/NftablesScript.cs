using System.Diagnostics;
using System.Globalization;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace Carp.Linux;

/// <summary>
/// The nftables tables an engine keeps for itself, one per feature and process (<c>PREFIX + PID</c>: ARP balancing's
/// <see cref="ArpSuppression"/>, Accept_Mode's <see cref="AcceptModeFilter"/>): scripts run through <c>nft -f -</c>, and
/// the sweep of the tables of engines that died with their guardian. nft is run rather than spoken to over netlink: the
/// tables change only when a set of addresses does, and nft's script is one atomic transaction.
/// </summary>
internal sealed class NftablesScript(string family, string prefix, string feature, string needsNftables)
{
    /// <summary>This process's table: <c>PREFIX + PID</c>.</summary>
    public string TableName { get; } = prefix + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

    /// <summary>Runs <paramref name="script"/> as one nft transaction and returns what nft printed.</summary>
    /// <exception cref="CarpException">ServiceError: nft is missing or refused the script.</exception>
    public string Run(string script)
    {
        var info = new ProcessStartInfo("nft")
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-f");
        info.ArgumentList.Add("-");
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("nft did not start");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new CarpException(CarpErrorCode.ServiceError, $"{needsNftables}, and nft could not be run: {ex.Message}", ex);
        }

        using (process)
        {
            process.StandardInput.Write(script);
            process.StandardInput.Close();
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new CarpException(CarpErrorCode.ServiceError, $"nft could not set the {feature} rules: {error.Trim()}");
            }

            return output.Result;
        }
    }

    /// <summary>
    /// Deletes the tables of engines that are gone and whose guardian went with them (a SIGKILL to the whole unit), as a
    /// restarted engine removes a crashed run's macvlans: a table <c>PREFIX + PID</c> whose process no longer exists.
    /// </summary>
    public void SweepStale(Action<CarpLogLevel, string>? log)
    {
        try
        {
            var stale = new System.Text.StringBuilder();
            foreach (var line in Run($"list tables {family}\n").Split('\n'))
            {
                var name = line.Trim().Split(' ').LastOrDefault() ?? "";
                if (name.StartsWith(prefix, StringComparison.Ordinal) && name != TableName &&
                    int.TryParse(name.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) &&
                    !Directory.Exists($"/proc/{pid}"))
                {
                    stale.Append(CultureInfo.InvariantCulture, $"delete table {family} {name}\n");
                }
            }

            if (stale.Length > 0)
            {
                Run(stale.ToString());
                log?.Invoke(CarpLogLevel.Warning,
                    $"removed the {feature} tables of engines that are gone: {stale.ToString().Replace($"delete table {family} ", "", StringComparison.Ordinal).ReplaceLineEndings(" ").Trim()}");
            }
        }
        catch (CarpException ex)
        {
            log?.Invoke(CarpLogLevel.Warning, $"could not look for stale {feature} tables: {ex.Message}");
        }
    }
}
