using System.Net.Sockets;
using Carp.Engine.Core;
using Carp.Engine.Protocol;

namespace Carp.Engine.Hosting;

/// <summary>The service as the core's <see cref="ICarpOutput"/>: each effect of a protocol step, carried out on the wire.</summary>
public sealed partial class CarpService
{
    // ---- ICarpOutput: the protocol's effects on the wire ---------------------------------------

    private Action<VirtualHost, string>? _batchSendFailed;

    bool ICarpOutput.SendAdvertisement(VirtualHost host, AddressFamily family, ReadOnlySpan<byte> carpHeader)
    {
        _advertisedInPass = true; // the proof of life is the engine's: a failed send is the core's to handle (docs/protocol.md#send-errors)
        var port = _ports[host.Device.Name];
        var v4 = family == AddressFamily.InterNetwork;
        var source = v4 ? port.IPv4 : port.IPv6;
        if (source is null)
        {
            // A safeguard: the core runs no vhost whose carpdev lacks the source (NoSourceAddress).
            return SendFailed(host, $"{port.Name} has no {(v4 ? "IPv4" : "IPv6")} address to send the advert from");
        }

        try
        {
            // The host's prebuilt frame, patched (docs/protocol.md#prebuilt-advert-frames): no allocation, no system call but the send.
            var frame = _frames.Frame(host, family, port.Mac, source, _node.Sysctls.TrafficClass, carpHeader);
            return _batch.Advert(port, frame, host)
                || SendFailed(host, $"the advert to {_frames.DestinationOf(host, family)} was not sent");
        }
        catch (Exception ex)
        {
            // Never out of an output: the protocol step that called it must finish and re-arm its timers.
            var destination = _frames.DestinationOf(host, family) ?? AdvertAddressing.For(host.Config, family, port.Mac).Destination;
            return SendFailed(host, $"cannot send the advert to {destination}: {ex.Message}");
        }
    }

    bool? ICarpOutput.SendAdvertisementTo(VirtualHost host, AddressFamily family, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> destinationMac)
    {
        var port = _ports[host.Device.Name];
        var source = family == AddressFamily.InterNetwork ? port.IPv4 : port.IPv6;
        if (source is null)
        {
            return SendFailed(host, $"{port.Name} has no address to send the last advert from");
        }

        try
        {
            // The advert as it would go to the group, in a frame addressed to one MAC (docs/protocol.md#split-brain-heal); rare, so a
            // copy. From the carpdev's own MAC: from the virtual MAC, a switch would learn that MAC on our port and filter the
            // frame sent to it there.
            var frame = _frames.Frame(host, family, port.Mac, source, _node.Sysctls.TrafficClass, payload);
            Span<byte> unicast = stackalloc byte[frame.Length];
            frame.CopyTo(unicast);
            destinationMac.CopyTo(unicast);
            port.Mac.GetAddressBytes().CopyTo(unicast[6..]);
            return _batch.Advert(port, unicast, host) || SendFailed(host, "the last advert to the new master was not sent");
        }
        catch (Exception ex)
        {
            return SendFailed(host, $"cannot send the last advert to the new master: {ex.Message}");
        }
    }

    /// <summary>A BACKUP's advert and announcement frames, built before its takeover needs them (AdvertFrameCache.Prepare).</summary>
    private void PrepareFrames(VirtualHost host)
    {
        if (!_ports.TryGetValue(host.Device.Name, out var port))
        {
            return;
        }

        _ = _announcements.Frames(host, AdvertAddressing.SourceMacOf(host.Config, port.Mac));

        foreach (var (family, source) in new[] { (AddressFamily.InterNetwork, port.IPv4), (AddressFamily.InterNetworkV6, port.IPv6) })
        {
            if (source is not null && (family == AddressFamily.InterNetwork ? host.Config.HasIPv4 : host.Config.HasIPv6))
            {
                try
                {
                    _frames.Prepare(host, family, port.Mac, source, _node.Sysctls.TrafficClass);
                }
                catch (ArgumentException)
                {
                    // Built (and its failure reported) when the first advert is sent.
                }
            }
        }
    }

    bool ICarpOutput.BeginAdvertBatch()
    {
        _batch.Begin();
        return true;
    }

    bool ICarpOutput.HoldsAddresses => _addressBatchOpen;

    void ICarpOutput.FlushAdvertisements(Span<bool> sent) =>
        _batch.Flush(sent, _batchSendFailed ??= (host, error) => SendFailed(host, $"the advert was not sent: {error}"));

    void ICarpOutput.SetAddresses(VirtualHost host, IReadOnlyList<CarpAddress> addresses, bool present)
    {
        if (_rehearsing)
        {
            return; // the rehearsal's addresses exist nowhere
        }

        try
        {
            _wire.SetAddresses(host.Config, addresses, present);
        }
        catch (Exception ex)
        {
            Log(CarpLogLevel.Error, 0, $"{host.Name}: could not {(present ? "add" : "remove")} addresses: {ex.Message}");
        }
    }

    void ICarpOutput.Announce(VirtualHost host)
    {
        if (DeferAnnounce(host))
        {
            return;
        }

        var port = _ports[host.Device.Name];
        foreach (var (address, frame, error) in _announcements.Frames(host, AdvertAddressing.SourceMacOf(host.Config, port.Mac)))
        {
            try
            {
                _ = frame is null ? throw new InvalidOperationException(error) : _batch.Other(port, frame);
            }
            catch (Exception ex)
            {
                Log(CarpLogLevel.Warning, 1, $"{host.Name}: cannot announce {address.Address}: {ex.Message}");
            }
        }
    }

    void ICarpOutput.SendArp(VirtualHost host, byte[] frame)
    {
        if (_addressBatchOpen && !_announcingBatch)
        {
            // After the pass's announcements: a unicast correction must not be overtaken by the broadcast it corrects.
            _arpAfterBatch.Add((host, frame));
            return;
        }

        if (!_ports.TryGetValue(host.Device.Name, out var port))
        {
            return;
        }

        try
        {
            _ = _batch.Other(port, frame);
        }
        catch (Exception ex)
        {
            Log(CarpLogLevel.Warning, 2, $"{host.Name}: cannot send an ARP-balancing frame: {ex.Message}");
        }
    }

    void ICarpOutput.AcceptRefusedChanged(VirtualHost host, IReadOnlyList<System.Net.IPAddress> addresses)
    {
        try
        {
            _wire.SetAcceptRefused($"{host.Device.Name}/{host.Vhid}", addresses);
            Log(CarpLogLevel.Info, 1, addresses.Count == 0
                ? $"{host.Name}: packets to its virtual addresses are taken again"
                : $"{host.Name}: MASTER without Accept_Mode: packets to {string.Join(", ", addresses)} are dropped");
        }
        catch (Exception ex)
        {
            Log(CarpLogLevel.Error, 0, $"{host.Name}: cannot {(addresses.Count == 0 ? "lift" : "set")} the Accept_Mode filter for its virtual addresses: {ex.Message}");
        }
    }

    void ICarpOutput.ArpBalanceChanged(string carpDev, IReadOnlyList<System.Net.IPAddress> addresses)
    {
        try
        {
            _wire.SetArpBalanced(carpDev, addresses);
            Log(CarpLogLevel.Info, 1, addresses.Count == 0
                ? $"{carpDev}: no ARP-balanced address"
                : $"{carpDev}: ARP-balanced {string.Join(", ", addresses)}: the host's own ARP replies for them are suppressed, the engine answers");
        }
        catch (Exception ex)
        {
            Log(CarpLogLevel.Error, 0, $"{carpDev}: cannot suppress the host's own ARP replies for the balanced addresses: {ex.Message}");
        }
    }

    void ICarpOutput.StateChanged(VirtualHost host, CarpState oldState, CarpState newState, TransitionReason reason)
    {
        if (newState == CarpState.Backup)
        {
            PrepareFrames(host);
        }

        var changed = new CarpStateChangedEvent
        {
            Timestamp = _node.Time.GetUtcNow(),
            Interface = host.Name,
            Vhid = host.Vhid,
            OldState = oldState,
            NewState = newState,
            Reason = reason,
            Peer = reason is TransitionReason.MoreFrequentMaster or TransitionReason.Preempt or TransitionReason.RemoteDemoted or TransitionReason.MasterWillTimeOut
                ? host.MasterSeen : null,
        };
        Notify(oldState == CarpState.Init || newState == CarpState.Init ? CarpLogLevel.Warning : CarpLogLevel.Info,
            $"{host.Name}: {oldState} -> {newState} ({reason})", changed);
    }

    void ICarpOutput.DemotionChanged(VirtualHost host, byte oldAdvertisedAdvSkew, byte newAdvertisedAdvSkew, byte oldDemoteCount, byte newDemoteCount)
    {
        var changed = new CarpDemotionChangedEvent
        {
            Timestamp = _node.Time.GetUtcNow(),
            Interface = host.Name,
            Vhid = host.Vhid,
            OldAdvSkew = oldAdvertisedAdvSkew,
            NewAdvSkew = newAdvertisedAdvSkew,
            OldDemotion = oldDemoteCount,
            NewDemotion = newDemoteCount,
        };
        Notify(CarpLogLevel.Info, $"{host.Name}: advertised advskew {oldAdvertisedAdvSkew} -> {newAdvertisedAdvSkew}, demote {oldDemoteCount} -> {newDemoteCount}", changed);
    }

    void ICarpOutput.MaintenanceChanged(VirtualHost host, bool maintenance)
    {
        Log(CarpLogLevel.Info, 1, $"{host.Name}: maintenance mode {(maintenance ? "on (suspended)" : "off (resumed)")}");
        Publish(new CarpMaintenanceChangedEvent
        {
            Timestamp = _node.Time.GetUtcNow(),
            Interface = host.Name,
            Vhid = host.Vhid,
            Maintenance = maintenance,
        });
    }

    void ICarpOutput.BadPacket(CarpStatistic counter, string carpDev, byte vhid, string detail)
    {
        // Anyone on the LAN can send bad packets: the counters count each one, the log one per counter per interval.
        if (_badPacketLog.ShouldLog(counter))
        {
            Log(CarpLogLevel.Debug, 2, $"{carpDev}: dropped a packet for vhid {vhid}: {counter}: {detail}");
        }

        Publish(new CarpBadPacketEvent
        {
            Timestamp = _node.Time.GetUtcNow(),
            Interface = _node.VirtualHosts.FirstOrDefault(h => h.Device.Name == carpDev && h.Vhid == vhid)?.Name ?? carpDev,
            Vhid = vhid,
            Counter = counter,
            Detail = detail,
        });
    }
}
