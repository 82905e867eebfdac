using System.Net;
using Carp.Engine.Core.Demotion;
using Carp.Engine.Protocol;

namespace Carp.Engine.Core;

/// <summary>
/// All virtual hosts of one host: their carpdevs and link state, receive validation (docs/protocol.md#receive-checks),
/// statistics, sysctls, demotion (docs/protocol.md#preemption) and the timer queue. Pure and single-threaded: the
/// simulator or the engine loop calls it; effects leave through <see cref="ICarpOutput"/>, time comes from
/// <see cref="TimeProvider"/>. Every public input ends by letting masters advertise a changed demotion.
/// </summary>
public sealed partial class CarpNode : IDisposable
{
    private readonly Dictionary<string, CarpDevice> _devices = new(StringComparer.Ordinal);
    private readonly Dictionary<string, VirtualHost> _hosts = new(StringComparer.Ordinal);
    private readonly TimerQueue _timers = new();
    private readonly ReceiveValidation _receiveValidation;
    private readonly double _ticksPerMicrosecond;
    private TimeSpan _coalescing;
    private long _coalescingTicks;

    /// <summary>The default <see cref="AdvertCoalescing"/>: 20 ms, 2 % of the shortest advert interval (docs/protocol.md#advert-coalescing).</summary>
    public static readonly TimeSpan DefaultAdvertCoalescing = TimeSpan.FromMilliseconds(20);

    /// <summary>The largest <see cref="AdvertCoalescing"/>: 100 ms, a tenth of the shortest advert interval (docs/protocol.md#advert-coalescing).</summary>
    public static readonly TimeSpan MaxAdvertCoalescing = TimeSpan.FromMilliseconds(100);

    /// <param name="random">Counter source; null draws counters from the system CSPRNG. Pass a seeded one for a reproducible simulation.</param>
    public CarpNode(ICarpOutput output, TimeProvider? time = null, CarpSysctls? sysctls = null, Random? random = null)
    {
        Output = output;
        Time = time ?? TimeProvider.System;
        _ledger = new DemotionLedger(sysctls ?? CarpSysctls.Default);
        _receiveValidation = new ReceiveValidation(Statistics, output);
        RandomCounters = new RandomCounterSource(random);
        _ticksPerMicrosecond = Time.TimestampFrequency / 1_000_000.0;
        AdvertCoalescing = DefaultAdvertCoalescing;
    }

    public ICarpOutput Output { get; }

    public TimeProvider Time { get; }

    public CarpStatistics Statistics { get; } = new();

    /// <summary>The <c>net.inet.carp.*</c> settings, with the current <c>demotion</c> and <c>suppress_preempt</c> counters.</summary>
    public CarpSysctls Sysctls => _ledger.Sysctls;

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
        foreach (var host in _hosts.Values.Where(h => ReferenceEquals(h.Device, device)).ToArray())
        {
            _demotions[host].SetCarpDevDown(!up);
            host.SetRun(up ? TransitionReason.Started : TransitionReason.CarpDevDown);
        }

        AdvertiseDemotionChanges();
    }

    /// <summary>
    /// The carpdev's own addresses changed: adverts leave from them, so a vhost that lacks one for a family it carries
    /// goes to INIT, and one that gains it starts (docs/protocol.md#source-address).
    /// </summary>
    public void SetDeviceSources(string deviceName, IPAddress? sourceV4, IPAddress? sourceV6)
    {
        var device = FindDevice(deviceName);
        if (device is null || (Equals(device.SourceV4, sourceV4) && Equals(device.SourceV6, sourceV6)))
        {
            return;
        }

        (device.SourceV4, device.SourceV6) = (sourceV4, sourceV6);
        foreach (var host in _hosts.Values.Where(h => ReferenceEquals(h.Device, device)).ToArray())
        {
            host.SourcesChanged();
        }

        AdvertiseDemotionChanges();
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
            throw CarpRefusals.InterfaceExists(config.Name);
        }

        if (FindDevice(config.CarpDev)?[config.Vhid] is { } clash)
        {
            throw CarpRefusals.VhidInUse(config.Vhid, clash.Name, config.CarpDev);
        }

        if (Sysctls.ArpBalance)
        {
            CheckArpBalance(config, replacing: null);
        }
    }

    /// <summary>
    /// Virtual hosts created in one step (a service starting many together) restart their master-down timers from now:
    /// each runs at least its full interval from its own start, and they time out, and take over, in one timer pass
    /// (docs/protocol.md#started-together).
    /// </summary>
    public void StartTogether(IEnumerable<VirtualHost> hosts)
    {
        foreach (var host in hosts)
        {
            if (Find(host.Name) != host)
            {
                throw new ArgumentException($"{host.Name} is not a virtual host of this node.", nameof(hosts));
            }

            host.RestartMasterDown();
        }
    }

    public VirtualHost AddVirtualHost(VirtualHostConfig config)
    {
        CheckAddable(config);
        var device = FindDevice(config.CarpDev) ?? throw CarpRefusals.NoSuchCarpDev(config.CarpDev);
        var demotion = HostDemotion.For(config, _ledger);
        var host = new VirtualHost(this, device, config, demotion);
        device.Attach(host);
        _hosts.Add(config.Name, host);
        _demotions.Add(host, demotion);
        AdvertBatch.Reserve(2 * _hosts.Count); // IPv4 and IPv6 each

        // Balanced by the link coming up or the host being removed.
        demotion.SetCarpDevDown(!device.LinkUp);
        ApplyTrackers(host); // before it starts: a faulted host stays in INIT (docs/protocol.md#trackers)
        host.ApplyDemotion(announceChange: false);
        host.SetRun(TransitionReason.Started);
        RefreshArpBalance();
        AdvertiseDemotionChanges();
        return host;
    }

    /// <summary>
    /// Applies a new configuration. A new vhid, carpdev or MAC mode makes it a different virtual host:
    /// the old one leaves (bow-out) and the new one starts in BACKUP. Nothing changes if it is invalid.
    /// </summary>
    public VirtualHost UpdateVirtualHost(string name, VirtualHostConfig config)
    {
        var host = Find(name) ?? throw CarpRefusals.NoSuchInterface(name);
        config.Validate();
        if (config.Protocol != host.Config.Protocol)
        {
            throw CarpRefusals.ProtocolFixed(name, host.Config.Protocol, config.Protocol);
        }

        if (Sysctls.ArpBalance)
        {
            CheckArpBalance(config, name);
        }

        // A new demotion style or new groups rebuild the host too: its outstanding demotions must be undone under the rules that made them.
        if (config.Name != name || config.Vhid != host.Vhid || config.CarpDev != host.Config.CarpDev || config.MacMode != host.Config.MacMode ||
            config.Profile.Demotion != host.Config.Profile.Demotion || !config.Groups.SequenceEqual(host.Config.Groups) ||
            (config.IsVrrp && config.HasIPv6 != host.Config.HasIPv6))
        {
            if (config.Name != name && _hosts.ContainsKey(config.Name))
            {
                throw CarpRefusals.InterfaceExists(config.Name);
            }

            var device = FindDevice(config.CarpDev) ?? throw CarpRefusals.NoSuchCarpDev(config.CarpDev);
            if (device[config.Vhid] is { } clash && !ReferenceEquals(clash, host))
            {
                throw CarpRefusals.VhidInUse(config.Vhid, clash.Name, device.Name);
            }

            var wasSuspended = host.Suspended;
            RemoveVirtualHost(name, TransitionReason.Reconfigured);
            var rebuilt = AddVirtualHost(config);
            if (wasSuspended != config.Maintenance)
            {
                Output.MaintenanceChanged(rebuilt, config.Maintenance);
            }

            return rebuilt;
        }

        host.Reconfigure(config);
        RefreshArpBalance();
        AdvertiseDemotionChanges();
        return host;
    }

    public void RemoveVirtualHost(string name) => RemoveVirtualHost(name, TransitionReason.Removed);

    private void RemoveVirtualHost(string name, TransitionReason reason)
    {
        var host = Find(name) ?? throw CarpRefusals.NoSuchInterface(name);
        host.Shutdown(reason);
        host.Device.Detach(host);
        _hosts.Remove(name);
        _demotions.Remove(host, out var demotion);
        demotion!.Release();
        host.Dispose();
        RefreshArpBalance();
        AdvertiseDemotionChanges();
    }

    public VirtualHost? Find(string name) => _hosts.GetValueOrDefault(name);

    /// <summary>The wire took every virtual address away (the engine was stalled): every MASTER resumes as BACKUP.</summary>
    public void AddressesRevoked()
    {
        foreach (var host in _hosts.Values)
        {
            host.Revoke();
        }

        AdvertiseDemotionChanges();
    }

    /// <summary>Forces MASTER or BACKUP once (FreeBSD <c>state master|backup</c>).</summary>
    public void Force(string name, CarpState state)
    {
        var host = Find(name) ?? throw CarpRefusals.NoSuchInterface(name);
        host.Force(state);
        AdvertiseDemotionChanges();
    }

    // ---- Sysctls ------------------------------------------------------------------------------

    public CarpSysctls SetSysctl(string name, long value)
    {
        var old = Sysctls;
        var applied = SysctlCatalog.Apply(old, name, value);
        if (applied.ArpBalance && !old.ArpBalance)
        {
            CheckArpBalanceOnSwitchOn();
        }

        _ledger.Replace(applied);
        if (applied.ArpBalance != old.ArpBalance)
        {
            RefreshArpBalance();
        }

        if (old.Allow != Sysctls.Allow)
        {
            foreach (var host in _hosts.Values)
            {
                host.SetRun(Sysctls.Allow ? TransitionReason.Started : TransitionReason.NotAllowed);
            }
        }

        AdvertiseDemotionChanges();
        return Sysctls;
    }

    // ---- Receive ------------------------------------------------------------------------------

    /// <summary>
    /// One captured frame from <paramref name="device"/>. Frames that are not CARP are ignored; CARP
    /// packets pass the checks in the kernels' order, failures are counted and dropped. Never throws
    /// for any content of <paramref name="frame"/>.
    /// </summary>
    public void Receive(CarpDevice device, ReadOnlySpan<byte> frame) => Receive(device, frame, Now);

    /// <summary>
    /// As <see cref="Receive(CarpDevice, ReadOnlySpan{byte})"/>, for a frame that reached the host at
    /// <paramref name="receivedAt"/> (a timestamp of <see cref="Time"/>, not later than now): a master-down timer it
    /// re-arms runs from then, not from when the engine got round to it (docs/protocol.md#arrival-time).
    /// </summary>
    public void Receive(CarpDevice device, ReadOnlySpan<byte> frame, long receivedAt)
    {
        if (ArpFrame.IsArp(frame))
        {
            ReceiveArp(device, frame);
            return;
        }

        if (_receiveValidation.TryAccept(device, frame, Sysctls, out var accepted))
        {
            frame.Slice(6, 6).CopyTo(_advertSenderMac);
            if (accepted.IsVrrp)
            {
                accepted.Host.OnVrrpAdvertisement(accepted.Vrrp, accepted.Source, Math.Min(receivedAt, Now));
            }
            else
            {
                accepted.Host.OnAdvertisement(accepted.Advert, accepted.Family, accepted.Source, Math.Min(receivedAt, Now));
            }

            AdvertiseDemotionChanges();
        }
    }

    private readonly byte[] _advertSenderMac = new byte[6];

    /// <summary>The Ethernet source of the advert being handled (docs/protocol.md#split-brain-heal).</summary>
    internal ReadOnlySpan<byte> AdvertSenderMac => _advertSenderMac;

    // ---- Timers -------------------------------------------------------------------------------

    /// <summary>
    /// Fires every timer that is due now, and the advert timers due within <see cref="AdvertCoalescing"/> after now with
    /// them; the output may send the pass's periodic adverts together (docs/protocol.md#advert-coalescing).
    /// </summary>
    public void RunDueTimers()
    {
        var now = Now;
        var horizon = now + _coalescingTicks;
        AdvertBatch.Open(Output);
        try
        {
            while (_timers.TryTakeDue(now, out var host))
            {
                host.OnTimer(now, horizon);
            }

            while (_coalescingTicks > 0 && _timers.TryTakeEarlyAdvert(horizon, out var host))
            {
                host.OnTimer(now, horizon);
            }
        }
        finally
        {
            AdvertBatch.Close(Output);
        }

        AdvertiseDemotionChanges();
    }

    /// <summary>
    /// How much earlier than its deadline a periodic advert may be sent so that it leaves in the same timer pass as
    /// another (docs/protocol.md#advert-coalescing): <see cref="DefaultAdvertCoalescing"/> unless set; zero sends every
    /// advert exactly at its deadline. Master-down timers never fire early.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative, or above <see cref="MaxAdvertCoalescing"/>.</exception>
    public TimeSpan AdvertCoalescing
    {
        get => _coalescing;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, MaxAdvertCoalescing);
            _coalescing = value;
            _coalescingTicks = ToTimestamp((long)value.TotalMicroseconds);
        }
    }

    internal AdvertBatch AdvertBatch { get; } = new();

    internal void Schedule(VirtualHost host, long deadline) => _timers.Schedule(host, deadline);

    internal long ToTimestamp(long microseconds) => (long)Math.Round(microseconds * _ticksPerMicrosecond);

    /// <summary>Random advert counters for hosts that have not heard a peer (docs/protocol.md#replay-counter).</summary>
    internal RandomCounterSource RandomCounters { get; }

    public void Dispose()
    {
        foreach (var name in _hosts.Keys.ToArray())
        {
            RemoveVirtualHost(name, TransitionReason.Removed);
        }
    }
}
