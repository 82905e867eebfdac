using System.Net;
using System.Net.Sockets;
using Carp.Engine.Core;

namespace Carp.Engine.Hosting;

/// <summary>
/// A silent BACKUP's MAC kept known to the switches (docs/protocol.md#unicast-backup-mac). With unicast peers the master's
/// adverts are unicast frames to the backup's MAC, and a backup sends nothing: once a switch has aged that MAC out, it
/// floods every advert to every port. So a carpdev with a BACKUP that has a unicast peer announces its own address (never a
/// virtual one) from its own MAC every <see cref="CarpServiceOptions.BackupMacRefresh"/>: a gratuitous ARP for its IPv4
/// source, an unsolicited neighbour advertisement for its IPv6 source. Neighbours learn nothing new from it; switches
/// refresh the MAC. Loop thread only.
/// </summary>
public sealed partial class CarpService
{
    private readonly TimeSpan _backupMacRefresh;
    private long _nextBackupMacRefresh;

    /// <summary>Frames sent by <see cref="RefreshBackupMacs"/> since the service started.</summary>
    internal long BackupMacAnnouncements { get; private set; }

    /// <summary>Every turn of the loop (at least once a second): the refresh when due, then whether the wire took the addresses.</summary>
    private bool LoopTurn()
    {
        RefreshBackupMacs();
        return _wire.AddressesRevoked();
    }

    private void RefreshBackupMacs()
    {
        if (_backupMacRefresh <= TimeSpan.Zero)
        {
            return;
        }

        var now = _node.Time.GetTimestamp();
        if (_nextBackupMacRefresh != 0 && now < _nextBackupMacRefresh)
        {
            return;
        }

        _nextBackupMacRefresh = now + (long)(_backupMacRefresh.TotalSeconds * _node.Time.TimestampFrequency);
        foreach (var port in _ports.Values)
        {
            bool v4 = false, v6 = false;
            foreach (var host in _node.VirtualHosts)
            {
                if (host.State == CarpState.Backup && host.Device.Name == port.Name)
                {
                    v4 |= host.Config.Peer is not null;
                    v6 |= host.Config.Peer6 is not null;
                }
            }

            Announce(port, v4 ? port.IPv4 : null);
            Announce(port, v6 ? port.IPv6 : null);
        }
    }

    private void Announce(IWirePort port, IPAddress? own)
    {
        if (own is null)
        {
            return;
        }

        try
        {
            if (_batch.Other(port, AdvertAddressing.Announcement(port.Mac, new CarpAddress(own, own.AddressFamily == AddressFamily.InterNetwork ? 32 : 128))))
            {
                BackupMacAnnouncements++;
            }
        }
        catch (Exception ex)
        {
            Log(CarpLogLevel.Debug, 2, $"{port.Name}: cannot announce {own} to keep its MAC known: {ex.Message}");
        }
    }
}
