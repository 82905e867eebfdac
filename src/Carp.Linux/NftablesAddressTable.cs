using System.Diagnostics;
using System.Globalization;
using System.Net;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace Carp.Linux;

/// <summary>
/// One nftables table an engine keeps for itself, per feature and process (<c>PREFIX + PID</c>: ARP balancing's
/// <see cref="ArpSuppression"/>, Accept_Mode's <see cref="AcceptModeFilter"/>), built from sets of addresses that each
/// owner (a carpdev, a virtual host) sets or lifts. The table exists only while some owner has an address: it is created
/// or replaced in one nft transaction, so no packet slips through between two versions, and deleted when the last address
/// goes or the engine stops. The <see cref="AddressGuardian"/> records it before it exists and deletes it when the process
/// dies; the tables of engines that died with their guardian are swept when the first one is made. nft is run rather than
/// spoken to over netlink: the tables change only when a set of addresses does, and nft's script is one transaction.
/// </summary>
/// <param name="definition">The table's whole definition (<c>table FAMILY NAME { … }</c>) for its name and addresses.</param>
internal sealed class NftablesAddressTable(
    string family,
    string prefix,
    string feature,
    string needsNftables,
    Func<string, IReadOnlyCollection<IPAddress>, string> definition,
    AddressGuardian? guardian,
    Action<CarpLogLevel, string>? log) : IDisposable
{
    private readonly Dictionary<string, IPAddress[]> _byOwner = new(StringComparer.Ordinal);
    private bool _exists;
    private bool _swept;

    /// <summary>This process's table: <c>PREFIX + PID</c>.</summary>
    public string TableName { get; } = NameFor(prefix);

    /// <summary>Every address in the table, over all owners.</summary>
    public IReadOnlyCollection<IPAddress> Addresses => _byOwner.Values.SelectMany(a => a).Distinct().ToArray();

    /// <summary>This process's table name for <paramref name="prefix"/>.</summary>
    public static string NameFor(string prefix) => prefix + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

    /// <summary>Sets the addresses of one owner (empty lifts them) and brings the table in line.</summary>
    /// <exception cref="CarpException">ServiceError: nft is missing or refused the script.</exception>
    public void Set(string owner, IReadOnlyList<IPAddress> addresses)
    {
        if (addresses.Count == 0)
        {
            if (!_byOwner.Remove(owner))
            {
                return;
            }
        }
        else
        {
            _byOwner[owner] = [.. addresses];
        }

        Apply();
    }

    /// <summary>Deletes the table if it exists (the engine stops).</summary>
    public void Dispose()
    {
        if (!_exists)
        {
            return;
        }

        _byOwner.Clear();
        try
        {
            Apply();
        }
        catch (CarpException ex)
        {
            log?.Invoke(CarpLogLevel.Error, $"{ex.Message}; the guardian deletes the table {TableName} when this process ends");
        }
    }

    private void Apply()
    {
        var all = Addresses;
        if (all.Count == 0)
        {
            if (_exists)
            {
                Run($"delete table {family} {TableName}\n");
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

        guardian?.OwnNftTable(TableName, family);
        Run($"add table {family} {TableName}\ndelete table {family} {TableName}\n" + definition(TableName, all));
        _exists = true;
    }

    /// <summary>Runs <paramref name="script"/> as one nft transaction and returns what nft printed.</summary>
    private string Run(string script)
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
    private void SweepStale()
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
