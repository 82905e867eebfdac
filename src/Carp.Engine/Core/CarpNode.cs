using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Net.Sockets;
using System.Security.Cryptography;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;

namespace Carp.Engine.Core;

/// <summary>
/// All virtual hosts of one host: receive validation in FreeBSD's order (docs/protocol.md#receive-checks), statistics,
/// sysctls, demotion, link state and the timer queue. Pure and single-threaded: the simulator or
/// the engine loop calls it; effects leave through <see cref="ICarpOutput"/>, time comes from
/// <see cref="TimeProvider"/>.
/// </summary>
public sealed class CarpNode : IDisposable
{
    private readonly Dictionary<string, CarpDevice> _devices = new(StringComparer.Ordinal);
    private readonly Dictionary<string, VirtualHost> _hosts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _groupDemote = new(StringComparer.Ordinal);
    private readonly TimerQueue _timers = new();
    private readonly Random? _random;
    private readonly double _ticksPerMicrosecond;
    private readonly ulong[] _randomBlock = new ulong[32];
    private int _randomUsed = 32;
    private bool _demotionDirty;

    /// <param name="random">Counter source; null draws counters from the system CSPRNG. Pass a seeded one for a reproducible simulation.</param>
    public CarpNode(ICarpOutput output, TimeProvider? time = null, CarpSysctls? sysctls = null, Random? random = null)
    {
        Output = output;
        Time = time ?? TimeProvider.System;
        Sysctls = sysctls ?? CarpSysctls.Default;
        _random = random;
        _ticksPerMicrosecond = Time.TimestampFrequency / 1_000_000.0;
    }

    public ICarpOutput Output { get; }

    public TimeProvider Time { get; }

    public CarpStatistics Statistics { get; } = new();

    public CarpSysctls Sysctls { get; private set; }

    public IReadOnlyCollection<VirtualHost> VirtualHosts => _hosts.Values;

    public IReadOnlyCollection<CarpDevice> Devices => _devices.Values;

    public long Now => Time.GetTimestamp();

    /// <summary>The earliest armed timer of any virtual host (a <see cref="TimeProvider"/> timestamp), or null.</summary>
    public long? NextDeadline => _timers.Peek();

    // ---- Devices and link state ---------------------------------------------------------------

    public CarpDevice AddDevice(string name, bool linkUp, IPAddress? sourceV4 = null, IPAddress? sourceV6 = null)
    {
        if (_devices.TryGetValue(name, out var existing))
        {
            existing.SourceV4 = sourceV4 ?? existing.SourceV4;
            existing.SourceV6 = sourceV6 ?? existing.SourceV6;
            if (existing.Count == 0)
            {
                // Nobody watched its link while it had no virtual host.
                existing.LinkUp = linkUp;
            }

            return existing;
        }

        var device = new CarpDevice(name, linkUp, sourceV4) { SourceV6 = sourceV6 };
        _devices.Add(name, device);
        return device;
    }

    public CarpDevice? FindDevice(string name) => _devices.GetValueOrDefault(name);

    /// <summary>Carrier or admin state of a carpdev changed: down → INIT and demotion, up → BACKUP (docs/protocol.md#transitions, docs/protocol.md#preemption).</summary>
    public void SetLinkState(string deviceName, bool up)
    {
        var device = FindDevice(deviceName);
        if (device is null || device.LinkUp == up)
        {
            return;
        }

        device.LinkUp = up;
        foreach (var host in HostsOn(device))
        {
            Demote(host, up ? -1 : +1, DemotionCause.LinkDown);
            host.SetRun(up ? TransitionReason.Started : TransitionReason.CarpDevDown);
        }

        FlushDemotion();
    }

    // ---- Virtual hosts ------------------------------------------------------------------------

    /// <summary>
    /// The checks <see cref="AddVirtualHost"/> makes that need no carpdev yet: a valid config, a free name,
    /// a free vhid on a carpdev we already run. Lets a caller refuse before it touches the wire.
    /// </summary>
    public void CheckAddable(VirtualHostConfig config)
    {
        config.Validate();
        if (_hosts.ContainsKey(config.Name))
        {
            throw new CarpException(CarpErrorCode.InterfaceExists, $"{config.Name} already exists.");
        }

        if (FindDevice(config.CarpDev)?[config.Vhid] is { } clash)
        {
            throw new CarpException(CarpErrorCode.DuplicateVhid,
                $"vhid {config.Vhid} is already used by {clash.Name} on {config.CarpDev}.");
        }
    }

    public VirtualHost AddVirtualHost(VirtualHostConfig config)
    {
        CheckAddable(config);
        var device = FindDevice(config.CarpDev) ?? throw new CarpException(CarpErrorCode.UnknownCarpDev,
            $"There is no carpdev named '{config.CarpDev}'.");

        var host = new VirtualHost(this, device, config);
        device.Attach(host);
        _hosts.Add(config.Name, host);
        if (!device.LinkUp)
        {
            // Balanced by the link coming up or the host being removed.
            Demote(host, +1, DemotionCause.LinkDown);
        }

        host.RefreshDemotion(announceChange: false);
        host.SetRun(TransitionReason.Started);
        FlushDemotion();
        return host;
    }

    /// <summary>
    /// Applies a new configuration. A new vhid, carpdev or MAC mode makes it a different virtual host:
    /// the old one leaves (bow-out) and the new one starts in BACKUP. Nothing changes if it is invalid.
    /// </summary>
    public VirtualHost UpdateVirtualHost(string name, VirtualHostConfig config)
    {
        var host = Find(name) ?? throw NotFound(name);
        config.Validate();
        // A new demotion style or new groups rebuild the host too: its outstanding demotions must be undone under the rules that made them.
        if (config.Name != name || config.Vhid != host.Vhid || config.CarpDev != host.Config.CarpDev || config.MacMode != host.Config.MacMode ||
            config.Profile.Demotion != host.Config.Profile.Demotion || !config.Groups.SequenceEqual(host.Config.Groups))
        {
            if (config.Name != name && _hosts.ContainsKey(config.Name))
            {
                throw new CarpException(CarpErrorCode.InterfaceExists, $"{config.Name} already exists.");
            }

            var device = FindDevice(config.CarpDev) ?? throw new CarpException(CarpErrorCode.UnknownCarpDev,
                $"There is no carpdev named '{config.CarpDev}'.");
            if (device[config.Vhid] is { } clash && !ReferenceEquals(clash, host))
            {
                throw new CarpException(CarpErrorCode.DuplicateVhid,
                    $"vhid {config.Vhid} is already used by {clash.Name} on {device.Name}.");
            }

            RemoveVirtualHost(name, TransitionReason.Reconfigured);
            return AddVirtualHost(config);
        }

        host.Reconfigure(config);
        FlushDemotion();
        return host;
    }

    public void RemoveVirtualHost(string name) => RemoveVirtualHost(name, TransitionReason.Removed);

    private void RemoveVirtualHost(string name, TransitionReason reason)
    {
        var host = Find(name) ?? throw NotFound(name);
        host.Shutdown(reason);
        host.Device.Detach(host);
        _hosts.Remove(name);
        if (!host.Device.LinkUp)
        {
            Demote(host, -1, DemotionCause.LinkDown);
        }

        if (host.SendErrorDemoted)
        {
            Demote(host, -1, DemotionCause.SendErrors);
        }

        host.Dispose();
        FlushDemotion();
    }

    public VirtualHost? Find(string name) => _hosts.GetValueOrDefault(name);

    /// <summary>Forces MASTER or BACKUP once (FreeBSD <c>state master|backup</c>).</summary>
    public void Force(string name, CarpState state)
    {
        var host = Find(name) ?? throw NotFound(name);
        host.Force(state);
        FlushDemotion();
    }

    /// <summary>OpenBSD <c>carpdemote n</c> on the interface's groups (or on the interface itself when it has none).</summary>
    public void AdjustDemote(string name, int delta)
    {
        var host = Find(name) ?? throw NotFound(name);
        if (host.Config.Groups.Count == 0)
        {
            host.OwnDemoteCount = Math.Max(0, host.OwnDemoteCount + delta);
        }
        else
        {
            foreach (var group in host.Config.Groups)
            {
                AdjustGroupCounter(group, delta);
            }
        }

        _demotionDirty = true;
        FlushDemotion();
    }

    /// <summary>OpenBSD <c>ifconfig -g group carpdemote n</c>.</summary>
    public void AdjustGroupDemote(string group, int delta)
    {
        AdjustGroupCounter(group, delta);
        _demotionDirty = true;
        FlushDemotion();
    }

    // ---- Sysctls ------------------------------------------------------------------------------

    public CarpSysctls SetSysctl(string name, long value)
    {
        var old = Sysctls;
        Sysctls = SysctlCatalog.Apply(old, name, value);
        if (old.Allow != Sysctls.Allow)
        {
            foreach (var host in _hosts.Values)
            {
                host.SetRun(Sysctls.Allow ? TransitionReason.Started : TransitionReason.NotAllowed);
            }
        }

        if (old.Demotion != Sysctls.Demotion || old.Preempt != Sysctls.Preempt)
        {
            _demotionDirty = true;
        }

        FlushDemotion();
        return Sysctls;
    }

    // ---- Receive ------------------------------------------------------------------------------

    /// <summary>
    /// One captured frame from <paramref name="device"/>. Frames that are not CARP are ignored; CARP
    /// packets pass the checks in the kernels' order, failures are counted and dropped. Never throws
    /// for any content of <paramref name="frame"/>.
    /// </summary>
    public void Receive(CarpDevice device, ReadOnlySpan<byte> frame)
    {
        var status = CarpFrameReader.TryParse(frame, out var carp);
        if (status == CarpFrameStatus.NotCarp)
        {
            return;
        }

        var isV6 = carp.Family == AddressFamily.InterNetworkV6;
        Statistics.Increment(isV6 ? CarpStatistic.IPackets6 : CarpStatistic.IPackets);
        if (!Sysctls.Allow)
        {
            return;
        }

        if (status == CarpFrameStatus.Truncated)
        {
            Drop(CarpStatistic.HdrOps, device, 0, "IP header cut short");
            return;
        }

        if (device.Count == 0)
        {
            Drop(CarpStatistic.BadIf, device, 0, "packet on an interface without CARP");
            return;
        }

        var payload = carp.Payload(frame);
        if (payload.Length < CarpConstants.HeaderLength || !CarpHeaderCodec.TryRead(payload, out var advert))
        {
            Drop(CarpStatistic.BadLen, device, 0, "payload of {0} bytes, expected 36", payload.Length);
            return;
        }

        if (!CarpHeaderCodec.IsChecksumValid(payload))
        {
            Drop(CarpStatistic.BadSum, device, advert.Vhid, "bad checksum");
            return;
        }

        var host = device[advert.Vhid];
        if (host is null || !host.Carries(carp.Family))
        {
            // FreeBSD looks the vhid up among the carpdev's addresses of the packet's family (docs/protocol.md#receive-checks).
            Drop(CarpStatistic.BadVhid, device, advert.Vhid, host is null ? "no such vhid here" : "vhid has no address of this family");
            return;
        }

        if (advert.Version != CarpConstants.Version)
        {
            Drop(CarpStatistic.BadVer, device, advert.Vhid, "version {0}", advert.Version);
            return;
        }

        // TTL 255 proves the sender is on-link; FreeBSD lets adverts to a configured unicast peer be routed, OpenBSD does not (docs/protocol.md#unicast-peers).
        if (carp.Ttl != CarpConstants.Ttl && !(host.UsesUnicastPeer(carp.Family) && !host.Config.Profile.RequireTtlForUnicast))
        {
            Drop(CarpStatistic.BadTtl, device, advert.Vhid, "TTL {0}, expected 255", carp.Ttl);
            return;
        }

        if (!host.VerifyHmac(advert.Counter, CarpHeaderCodec.Hmac(payload)))
        {
            Drop(CarpStatistic.BadAuth, device, advert.Vhid, "bad HMAC: check vhid, pass and the virtual addresses on both sides");
            return;
        }

        if (host.IsOwnEcho(advert.Counter, carp.Source(frame)))
        {
            Drop(CarpStatistic.BadAuth, device, advert.Vhid, "replay or network loop detected (our own advert)");
            return;
        }

        host.OnAdvertisement(advert, carp.Family, carp.Source(frame));
        FlushDemotion();
    }

    // ---- Timers -------------------------------------------------------------------------------

    /// <summary>Fires every timer that is due now.</summary>
    public void RunDueTimers()
    {
        var now = Now;
        while (_timers.TryTakeDue(now, out var host))
        {
            host.OnTimer(now);
        }

        FlushDemotion();
    }

    internal void Schedule(VirtualHost host, long deadline) => _timers.Schedule(host, deadline);

    internal long ToTimestamp(long microseconds) => (long)Math.Round(microseconds * _ticksPerMicrosecond);

    internal ulong NextRandomCounter()
    {
        if (_random is not null)
        {
            return (ulong)_random.NextInt64() ^ ((ulong)_random.Next() << 63);
        }

        // One CSPRNG call per 32 counters: a master that has not heard a peer draws one per advert.
        if (_randomUsed == _randomBlock.Length)
        {
            RandomNumberGenerator.Fill(MemoryMarshal.AsBytes(_randomBlock.AsSpan()));
            _randomUsed = 0;
        }

        return _randomBlock[_randomUsed++];
    }

    // ---- Demotion (docs/protocol.md#preemption) -----------------------------------------------------------------

    private enum DemotionCause
    {
        LinkDown,
        SendErrors,
    }

    internal void OnSendResult(VirtualHost host, bool sent)
    {
        host.OnSendResult(sent);
        if (!sent && host.SendErrors >= 3 && !host.SendErrorDemoted)
        {
            host.SendErrorDemoted = true;
            Demote(host, +1, DemotionCause.SendErrors);
        }
        else if (sent && host.SendErrorDemoted && host.SendSuccesses >= 3)
        {
            host.SendErrorDemoted = false;
            Demote(host, -1, DemotionCause.SendErrors);
        }
    }

    /// <summary>The advskew <paramref name="host"/> advertises and compares with.</summary>
    internal byte EffectiveSkew(VirtualHost host)
    {
        var skew = host.Config.AdvSkew;
        return host.Config.Profile.Demotion switch
        {
            DemotionStyle.FreeBsd => (byte)Math.Clamp(skew + Sysctls.Demotion, 0, CarpConstants.MaxDemotedSkew),
            DemotionStyle.SuppressPreempt when Sysctls.SuppressPreempt > 0 && Sysctls.Preempt => Math.Max(skew, CarpConstants.MaxDemotedSkew),
            _ => skew,
        };
    }

    /// <summary>The demote count <paramref name="host"/> advertises in byte 4 (OpenBSD style only).</summary>
    internal byte DemoteCount(VirtualHost host)
    {
        if (host.Config.Profile.Demotion != DemotionStyle.OpenBsd)
        {
            return 0;
        }

        var sum = host.Config.Groups.Count == 0
            ? host.OwnDemoteCount
            : host.Config.Groups.Sum(g => _groupDemote.GetValueOrDefault(g));
        return (byte)Math.Clamp(sum, 0, 255);
    }

    private void Demote(VirtualHost host, int direction, DemotionCause cause)
    {
        switch (host.Config.Profile.Demotion)
        {
            case DemotionStyle.FreeBsd:
                var factor = cause == DemotionCause.LinkDown ? Sysctls.IfDownDemotionFactor : Sysctls.SendErrDemotionFactor;
                Sysctls = Sysctls with { Demotion = Sysctls.Demotion + (direction * factor) };
                break;
            case DemotionStyle.SuppressPreempt:
                Sysctls = Sysctls with { SuppressPreempt = Math.Max(0, Sysctls.SuppressPreempt + direction) };
                break;
            case DemotionStyle.OpenBsd:
                if (host.Config.Groups.Count == 0)
                {
                    host.OwnDemoteCount = Math.Max(0, host.OwnDemoteCount + direction);
                }
                else
                {
                    foreach (var group in host.Config.Groups)
                    {
                        AdjustGroupCounter(group, direction);
                    }
                }

                break;
        }

        _demotionDirty = true;
    }

    private void AdjustGroupCounter(string group, int delta) =>
        _groupDemote[group] = Math.Max(0, _groupDemote.GetValueOrDefault(group) + delta);

    /// <summary>Applies pending demotion changes: every MASTER whose advertised priority changed advertises at once.</summary>
    private void FlushDemotion()
    {
        while (_demotionDirty)
        {
            _demotionDirty = false;
            foreach (var host in _hosts.Values)
            {
                host.RefreshDemotion(announceChange: true);
            }
        }
    }

    private VirtualHost[] HostsOn(CarpDevice device) => _hosts.Values.Where(h => ReferenceEquals(h.Device, device)).ToArray();

    /// <summary>Counts a dropped packet; the detail is only formatted when the <c>log</c> sysctl wants it.</summary>
    private void Drop(CarpStatistic counter, CarpDevice device, byte vhid, string detail, long value = 0)
    {
        Statistics.Increment(counter);
        if (Sysctls.Log >= 2)
        {
            Output.BadPacket(counter, device.Name, vhid, string.Format(CultureInfo.InvariantCulture, detail, value));
        }
    }

    private static CarpException NotFound(string name) => CarpRefusals.NoSuchInterface(name);

    public void Dispose()
    {
        foreach (var name in _hosts.Keys.ToArray())
        {
            RemoveVirtualHost(name, TransitionReason.Removed);
        }
    }
}
