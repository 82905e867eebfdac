using System.Diagnostics;
using System.Net;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace Carp.Linux;

/// <summary>
/// Keeps the kernel from answering ARP requests for the ARP-balanced addresses (docs/protocol.md#arp-balancing): one
/// nftables table of family <c>arp</c> per engine process, <c>carpps_PID</c>, whose input chain drops every ARP request for
/// an address of its set <c>balanced</c> before the kernel's ARP code sees it; the engine's capture, which reads the
/// frame before that hook, answers instead. The table exists only while an address is balanced. The
/// <see cref="AddressGuardian"/> records it before it is created and deletes it when the process dies.
/// </summary>
internal sealed class ArpSuppression(AddressGuardian? guardian, Action<CarpLogLevel, string>? log) : IDisposable
{
    private readonly Dictionary<string, IPAddress[]> _byDevice = new(StringComparer.Ordinal);
    private bool _exists;
    private bool _swept;

    /// <summary>The table's name: one per process, so two engines in one namespace do not touch each other's.</summary>
    public static string TableName { get; } = $"carpps_{Environment.ProcessId}";

    /// <summary>Every address currently suppressed, over all carpdevs.</summary>
    public IReadOnlyCollection<IPAddress> Addresses => _byDevice.Values.SelectMany(a => a).Distinct().ToArray();

    public void Set(string carpDev, IReadOnlyList<IPAddress> addresses)
    {
        if (addresses.Count == 0)
        {
            _byDevice.Remove(carpDev);
        }
        else
        {
            _byDevice[carpDev] = [.. addresses];
        }

        Apply();
    }

    private void Apply()
    {
        var all = Addresses;
        if (all.Count == 0)
        {
            if (_exists)
            {
                Run($"delete table arp {TableName}\n");
                _exists = false;
                guardian?.DisownNftTable(TableName);
            }

            return;
        }

        if (!_swept)
        {
            _swept = true;
            SweepStale();
        }

        // Recorded before it exists; replaced in one transaction, so no request slips through between two versions.
        guardian?.OwnNftTable(TableName);
        var elements = string.Join(", ", all);
        Run($$"""
            add table arp {{TableName}}
            delete table arp {{TableName}}
            table arp {{TableName}} {
              set balanced { type ipv4_addr; elements = { {{elements}} } }
              chain input {
                type filter hook input priority filter; policy accept;
                arp operation request arp daddr ip @balanced counter drop
              }
            }

            """);
        _exists = true;
    }

    /// <summary>
    /// Deletes the tables of engines that are gone and whose guardian went with them (a SIGKILL to the whole unit), as a
    /// restarted engine removes a crashed run's macvlans: a table <c>carpps_PID</c> whose process no longer exists.
    /// </summary>
    private void SweepStale()
    {
        try
        {
            var stale = new System.Text.StringBuilder();
            foreach (var line in Run("list tables arp\n").Split('\n'))
            {
                var name = line.Trim().Split(' ').LastOrDefault() ?? "";
                if (name.StartsWith("carpps_", StringComparison.Ordinal) && name != TableName &&
                    int.TryParse(name.AsSpan(7), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid) &&
                    !Directory.Exists($"/proc/{pid}"))
                {
                    stale.Append(System.Globalization.CultureInfo.InvariantCulture, $"delete table arp {name}\n");
                }
            }

            if (stale.Length > 0)
            {
                Run(stale.ToString());
                log?.Invoke(CarpLogLevel.Warning, $"removed the ARP-balancing tables of engines that are gone: {stale.ToString().Replace("delete table arp ", "", StringComparison.Ordinal).ReplaceLineEndings(" ").Trim()}");
            }
        }
        catch (CarpException ex)
        {
            log?.Invoke(CarpLogLevel.Warning, $"could not look for stale ARP-balancing tables: {ex.Message}");
        }
    }

    private static string Run(string script)
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
            throw new CarpException(CarpErrorCode.ServiceError,
                $"ARP balancing needs nftables to keep the host's own ARP replies for the balanced addresses off the wire, and nft could not be run: {ex.Message}", ex);
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
                throw new CarpException(CarpErrorCode.ServiceError, $"nft could not set the ARP-balancing rules: {error.Trim()}");
            }

            return output.Result;
        }
    }

    /// <summary>Deletes the table if it exists (the engine stops).</summary>
    public void Dispose()
    {
        if (!_exists)
        {
            return;
        }

        _byDevice.Clear();
        try
        {
            Apply();
        }
        catch (CarpException ex)
        {
            log?.Invoke(CarpLogLevel.Error, $"{ex.Message}; the guardian deletes the table {TableName} when this process ends");
        }
    }
}
