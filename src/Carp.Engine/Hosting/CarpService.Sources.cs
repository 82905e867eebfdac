using System.Collections.Concurrent;
using Carp.Engine.Core;

namespace Carp.Engine.Hosting;

/// <summary>
/// The service's side of "never advertise what we cannot send": the carpdevs' own addresses followed as they change
/// (docs/protocol.md#source-address), and failed sends logged without flooding the log (docs/protocol.md#send-errors).
/// </summary>
public sealed partial class CarpService
{
    private const string AllCarpDevs = "";
    private readonly ConcurrentDictionary<string, bool> _sourceRefreshes = new(StringComparer.Ordinal);
    private int _sourceRefreshQueued;

    /// <summary>Logs a failed send, rate-limited per host (the core counts it as onomem: docs/protocol.md#send-errors); always false.</summary>
    private bool SendFailed(VirtualHost host, string failure)
    {
        if (_sendFailures.Line(host.Name, failure) is { } line)
        {
            Log(CarpLogLevel.Warning, 0, $"{host.Name}: {line}");
        }

        return false;
    }

    /// <summary>
    /// Called on the wire's monitor thread for every address notification. It never waits for the loop, and a burst (a mass
    /// takeover adds hundreds of virtual addresses, each one notified) costs one re-read per carpdev: the names gather in
    /// <see cref="_sourceRefreshes"/> until the one queued refresh runs.
    /// </summary>
    private void OnAddressesChanged(string? carpDev)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        _sourceRefreshes[carpDev ?? AllCarpDevs] = true;
        if (Interlocked.Exchange(ref _sourceRefreshQueued, 1) == 0 && !_loop.Post(RefreshChangedSources))
        {
            Volatile.Write(ref _sourceRefreshQueued, 0);
        }
    }

    private void RefreshChangedSources()
    {
        // Cleared first: a notification that arrives while this runs queues one more refresh rather than being missed.
        Volatile.Write(ref _sourceRefreshQueued, 0);
        var all = false;
        var names = new List<string>();
        foreach (var name in _sourceRefreshes.Keys)
        {
            if (_sourceRefreshes.TryRemove(name, out _))
            {
                all |= name == AllCarpDevs;
                names.Add(name);
            }
        }

        foreach (var port in _ports.Values.Where(p => all || names.Contains(p.Name)).ToArray())
        {
            RefreshSources(port);
        }
    }

    /// <summary>Re-reads a carpdev's own addresses; the vhosts that can (no longer) advertise start (stop): docs/protocol.md#source-address.</summary>
    private void RefreshSources(IWirePort port)
    {
        var device = _node.FindDevice(port.Name);
        try
        {
            port.RefreshAddresses();
        }
        catch (Exception ex)
        {
            Log(CarpLogLevel.Error, 0, $"{port.Name}: cannot read its addresses: {ex.Message}");
            return;
        }

        if (device is null || (Equals(device.SourceV4, port.IPv4) && Equals(device.SourceV6, port.IPv6)))
        {
            return;
        }

        Log(CarpLogLevel.Info, 1, $"{port.Name}: advert source addresses now {port.IPv4?.ToString() ?? "none"} (IPv4), {port.IPv6?.ToString() ?? "none"} (IPv6)");
        _node.SetDeviceSources(port.Name, port.IPv4, port.IPv6);
    }

    /// <summary>Says why a vhost stays in INIT when the reason is the carpdev's, which no state change reports.</summary>
    private void LogIfHeldInInit(VirtualHost host)
    {
        if (host is { State: CarpState.Init, LastTransitionReason: TransitionReason.NoSourceAddress })
        {
            var missing = string.Join(" and ", new[] { (host.Config.HasIPv4 && host.Device.SourceV4 is null, "IPv4"), (host.Config.HasIPv6 && host.Device.SourceV6 is null, "IPv6") }
                .Where(f => f.Item1).Select(f => f.Item2));
            Log(CarpLogLevel.Warning, 0,
                $"{host.Name}: stays INIT ({TransitionReason.NoSourceAddress}): {host.Device.Name} has no {missing} address to send its adverts from; it starts when it gets one");
        }
    }
}
