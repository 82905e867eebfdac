using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;

namespace Carp.Linux;

/// <summary>
/// The real wire: one pcap capture per carpdev (immediate mode, shared by its vhids), virtual
/// addresses through netlink, and in Virtual MAC mode a macvlan <c>carpN</c> carrying
/// 00:00:5e:00:01:vhid. Belongs to the network namespace of the thread that creates it.
/// </summary>
public sealed class LinuxWire : ICarpWire
{
    private readonly NetlinkRouteSocket _netlink = new();
    private readonly LinkStateMonitor _monitor = new();
    private readonly ConcurrentDictionary<IPAddress, int> _virtualAddresses = new(); // written on the loop thread, read on the monitor's

    /// <summary>
    /// Every (link, address) the guardian knows this wire may put up: a carp interface's addresses from its preparation to
    /// its release (docs/ARCHITECTURE.md#address-guardian), so that a takeover adds and a step-down removes them without a
    /// write to the guardian (each write wakes it: tens to hundreds of microseconds in a mass takeover's pass, and one per
    /// address in a mass step-down: BENCHMARKS.md#scale). Emptied when the guardian revokes, which forgets them. Used on
    /// the engine's thread, and on the address batch's own while it adds a mass takeover's addresses (AddressBatch).
    /// </summary>
    private readonly HashSet<(string Link, CarpAddress Address)> _guardianKnows = [];
    private readonly List<(string Device, string Cidr)> _guardianHears = [];
    private readonly Action<CarpLogLevel, string>? _log;
    private readonly AddressGuardian? _guardian;
    private readonly StallWatch _stall = new();
    private readonly AddressBatch _batch;
    private readonly ArpSuppression _arpSuppression;
    private readonly AcceptModeFilter _acceptFilter;
    private bool _batching;

    public LinuxWire(Action<CarpLogLevel, string>? log = null)
    {
        _ = WarmedUp.Value;
        _log = log;
        try
        {
            _guardian = AddressGuardian.Start();
            _guardian.Revoked += _stall.Revoked;
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            _log?.Invoke(CarpLogLevel.Error, $"no address guardian ({ex.Message}): if this process dies, its virtual addresses stay on the host");
        }

        // Each new master's stall timeout reaches the guardian before its addresses are added (docs/ARCHITECTURE.md#address-guardian).
        _batch = new AddressBatch(_netlink, config => UpdateStallTimeout(config, present: true), TellGuardian);
        _batch.Rehearse();
        _arpSuppression = new ArpSuppression(_guardian, log);
        _acceptFilter = new AcceptModeFilter(_guardian, log);
        _monitor.LinkChanged += (_, e) => LinkChanged?.Invoke(e.Name, e.IsUp);
        _monitor.AddressesChanged += (_, change) =>
        {
            // Our own virtual addresses are never an advert's source (SourceAddresses skips them): a mass takeover's
            // hundreds of adds need no re-read of the carpdev, which otherwise ran between its timer passes (BENCHMARKS.md#scale).
            if (change.Address is null || !_virtualAddresses.ContainsKey(change.Address))
            {
                AddressesChanged?.Invoke(change.LinkName);
            }
        };
        _monitor.Start();
    }

    public event Action<string, bool>? LinkChanged;

    public event Action<string?>? AddressesChanged;

    /// <summary>
    /// The send path of a takeover (pcap inject, netlink address add) compiled and its P/Invoke stubs
    /// bound before the first takeover needs them; compiled code is per process, so once.
    /// </summary>
    private static readonly Lazy<bool> WarmedUp = new(() =>
    {
        JitWarmer.Prepare(typeof(LinuxWire), typeof(PacketDevice), typeof(NetlinkRouteSocket), typeof(LibC), typeof(EventFdWakeSignal),
            typeof(AddressGuardian), typeof(StallWatch), typeof(UnicastSender));
        PacketDevice.PrepareSendPath();
        // A private watch runs the code a takeover's pass runs on the wire's own (its dictionary of timeouts included).
        var stall = new StallWatch();
        stall.Reserve(1);
        _ = stall.Hold("rehearsal", TimeSpan.FromSeconds(1), 0);
        _ = stall.Hold("rehearsal", null, 0);
        _ = AddressGuardian.StallLine(TimeSpan.FromSeconds(2.5), 0);
        // The guardian ledger's lookup of an address it knows, which each takeover makes: its equality code was otherwise
        // compiled in the first takeover's pass (1.6–1.9 ms there: BENCHMARKS.md#scale).
        var ledger = new HashSet<(string Link, CarpAddress Address)>();
        var known = ("rehearsal", CarpAddress.Parse("192.0.2.1/32"));
        _ = ledger.Add(known);
        _ = ledger.Add(known);
        return true;
    });

    /// <summary>
    /// A carpdev's capture: a 1 MiB kernel ring instead of libpcap's default, whose pages (about 4 MB per carpdev once the
    /// ring has gone round) were the largest part of carpd's memory at 1000 vhids (BENCHMARKS.md#scale). Read in immediate
    /// mode, it holds thousands of adverts; a burst that overflowed it would show as capture drops in the statistics.
    /// </summary>
    private static readonly PacketDeviceOptions CarpDevCapture = new() { BufferSizeBytes = 1 << 20 };

    public IWirePort OpenPort(string carpDev, FrameHandler onFrame)
    {
        var link = _netlink.GetLink(carpDev) ?? throw new CarpException(CarpErrorCode.UnknownCarpDev,
            $"There is no interface named '{carpDev}' on this host to be a carpdev.");
        PacketDevice? device = null;
        try
        {
            device = new PacketDevice(carpDev, onFrame, options: CarpDevCapture);
            // A dead capture hears no master: treat it as a lost link (INIT), never as silence (takeover).
            device.Faulted += (_, ex) =>
            {
                _log?.Invoke(CarpLogLevel.Error, $"capture on {carpDev} failed: {ex.Message}; its virtual hosts go to INIT");
                LinkChanged?.Invoke(carpDev, false);
            };
            device.Start();
        }
        catch (LibpcapMissingException ex)
        {
            throw new CarpException(CarpErrorCode.LibpcapMissing, $"libpcap (libpcap.so.0.8) is not installed: {ex.Message}", ex);
        }
        catch (PacketDeviceException ex)
        {
            device?.Dispose();
            throw new CarpException(CarpErrorCode.NotPermitted, $"Cannot capture on {carpDev} (capturing and sending need CAP_NET_RAW and CAP_NET_ADMIN): {ex.Message}", ex);
        }
        catch
        {
            device?.Dispose();
            throw;
        }

        PacketSender? sender = null;
        if (device.SendDescriptor is var socket and >= 0)
        {
            sender = new PacketSender(socket, link.Index);
            sender.Rehearse();
        }
        else
        {
            _log?.Invoke(CarpLogLevel.Warning, $"{carpDev}: libpcap gives no socket to batch on (pcap_fileno): adverts are sent one by one");
        }

        // Unicast adverts leave through raw IP sockets, so the kernel routes them and resolves the peer (docs/protocol.md#unicast-on-linux).
        var unicast = new UnicastSender(carpDev, link.Index);
        if (unicast.OpenError is { } unicastError)
        {
            _log?.Invoke(CarpLogLevel.Warning, $"{carpDev}: no raw IP socket for unicast peers ({unicastError}): adverts to a peer cannot be sent");
        }

        var port = new Port(device, sender, unicast, link, this);
        try
        {
            port.RefreshAddresses();
        }
        catch
        {
            port.Dispose();
            throw;
        }

        return port;
    }

    /// <summary>
    /// The carpdev's own addresses that adverts leave from, never a virtual one (docs/protocol.md#packet-encapsulation,
    /// docs/protocol.md#source-address): its first IPv4 address, its IPv6 link-local (else its first IPv6 address).
    /// </summary>
    private (IPAddress? V4, IPAddress? V6, IPAddress? GlobalV6) SourceAddresses(int linkIndex)
    {
        var addresses = _netlink.GetAddresses(linkIndex).Where(a => !_virtualAddresses.ContainsKey(a.Address)).ToArray();
        var v4 = addresses.FirstOrDefault(a => a.Address.AddressFamily == AddressFamily.InterNetwork)?.Address;
        var global6 = addresses.FirstOrDefault(a => a.Address.AddressFamily == AddressFamily.InterNetworkV6 && !a.Address.IsIPv6LinkLocal)?.Address;
        var v6 = addresses.FirstOrDefault(a => a.Address.IsIPv6LinkLocal)?.Address ?? global6;
        return (v4, v6, global6);
    }

    public void PrepareInterface(VirtualHostConfig config)
    {
        AddPending();
        _batch.ForgetLink(AddressLink(config));
        Adopt(config, config.Addresses);

        LinuxSysctl.Ensure("net.ipv4.conf.all.arp_ignore", 1);
        if (config.MacMode == MacMode.Real)
        {
            // Like ucarp: the addresses live on the carpdev itself while MASTER; a crashed run may have left them.
            RemoveAll(config.CarpDev, config.Addresses);
            _batch.Learn(config.CarpDev);
            return;
        }

        var mac = AdvertAddressing.VirtualMacOf(config);
        var existing = _netlink.GetLink(config.Name);
        if (existing is not null)
        {
            var lower = _netlink.GetLink(config.CarpDev);
            if (existing.Kind != "macvlan" || !existing.MacAddress.Equals(mac) || existing.ParentIndex != lower?.Index)
            {
                throw new CarpException(CarpErrorCode.InterfaceExists,
                    $"An interface named {config.Name} already exists on this host and is not a carp interface's macvlan: a carp interface needs a name of its own.");
            }

            // Left over from a crashed run: keep the link, drop every address until we are MASTER.
            _guardian?.OwnLink(config.Name);
            foreach (var stale in _netlink.GetAddresses(existing.Index))
            {
                _netlink.RemoveAddress(existing.Index, stale.Address, stale.PrefixLength);
            }
        }
        else
        {
            _guardian?.OwnLink(config.Name);
            _netlink.CreateMacvlan(config.Name, config.CarpDev, mac);
        }

        // No kernel-made link-local (every node's would be the same), and the VIP answers ARP only here.
        TrySysctl($"net.ipv6.conf.{config.Name}.addr_gen_mode", 1);
        TrySysctl($"net.ipv6.conf.{config.Name}.accept_dad", 0);
        TrySysctl($"net.ipv4.conf.{config.Name}.arp_ignore", 1);
        // Traffic from the VIP leaves through the carpdev (same prefix): its ARP requests must not
        // announce the VIP with the carpdev's real MAC, or neighbours map the VIP to it.
        TrySysctl($"net.ipv4.conf.{config.CarpDev}.arp_announce", 2);
        try
        {
            _netlink.SetLinkUp(config.Name, true);
        }
        catch (NetlinkException ex)
        {
            // E.g. another interface already uses the virtual MAC: leave no half-made link behind.
            _netlink.DeleteLink(config.Name);
            _guardian?.DisownLink(config.Name);
            throw new CarpException(CarpErrorCode.ServiceError, $"{config.Name} could not be brought up (is another interface on the carpdev using vhid {config.Vhid}'s virtual MAC?): {ex.Message}", ex);
        }

        _batch.Learn(config.Name);
    }

    public void ReleaseInterface(VirtualHostConfig config)
    {
        AddPending();
        _batch.ForgetLink(AddressLink(config));
        if (config.MacMode == MacMode.Virtual)
        {
            _netlink.DeleteLink(config.Name);
            _guardian?.DisownLink(config.Name);
        }
        else
        {
            RemoveAll(config.CarpDev, config.Addresses);
        }

        Abandon(config, config.Addresses);
        UpdateStallTimeout(config, present: false);
    }

    /// <inheritdoc />
    public void SetArpBalanced(string carpDev, IReadOnlyList<IPAddress> addresses) => _arpSuppression.Set(carpDev, addresses);

    /// <inheritdoc />
    public void SetAcceptRefused(string key, IReadOnlyList<IPAddress> addresses) => _acceptFilter.Set(key, addresses);

    /// <summary>The name of this wire's nftables <c>inet</c> table of Accept_Mode (it exists only while an address is refused).</summary>
    public static string AcceptTableName => AcceptModeFilter.TableName;

    /// <summary>The name of this wire's nftables <c>arp</c> table of ARP balancing (it exists only while an address is balanced).</summary>
    public static string ArpTableName => ArpSuppression.TableName;

    /// <inheritdoc />
    public bool BeginAddressBatch()
    {
        _batching = true;
        return true;
    }

    /// <inheritdoc />
    public void FlushAddressBatch(Action<VirtualHostConfig, string> failed, Action<VirtualHostConfig>? added = null)
    {
        _batching = false;
        AddPending(added);
        _batch.ReportFailures(failed);
    }

    /// <summary>Adds what a batch holds back now: before anything else touches addresses, so their order stays the core's.</summary>
    private void AddPending(Action<VirtualHostConfig>? added = null)
    {
        if (_batch.Count > 0)
        {
            _batch.Add(added);
        }
    }

    /// <inheritdoc />
    public void AddressesReconfigured(VirtualHostConfig old, VirtualHostConfig config)
    {
        AddPending();
        Abandon(old, [.. old.Addresses.Except(config.Addresses)]);
        Adopt(config, [.. config.Addresses.Except(old.Addresses)]);
    }

    /// <summary>
    /// <paramref name="addresses"/> of <paramref name="config"/> are ours from now on: counted (an ARP-balancing set puts one
    /// address on several vhids), room made for them in a mass takeover's pass, and the guardian told.
    /// </summary>
    private void Adopt(VirtualHostConfig config, IReadOnlyList<CarpAddress> addresses)
    {
        foreach (var address in addresses)
        {
            _virtualAddresses[address.Address] = _virtualAddresses.TryGetValue(address.Address, out var users) ? users + 1 : 1;
        }

        _batch.Reserve(_virtualAddresses.Count);
        _stall.Reserve(_virtualAddresses.Count);
        _guardianKnows.EnsureCapacity(_virtualAddresses.Count);
        TellGuardian([.. addresses.Select(a => (AddressLink(config), a))]);
    }

    /// <summary>
    /// <paramref name="addresses"/> of <paramref name="config"/> are no longer ours (already removed from the link): the
    /// guardian forgets each, unless it is an ARP-balanced address on the carpdev that another vhid still uses.
    /// </summary>
    private void Abandon(VirtualHostConfig config, IReadOnlyList<CarpAddress> addresses)
    {
        var linkName = AddressLink(config);
        foreach (var address in addresses)
        {
            var shared = _virtualAddresses.TryGetValue(address.Address, out var users) && users > 1;
            if (shared)
            {
                _virtualAddresses[address.Address] = users - 1;
            }
            else
            {
                _virtualAddresses.TryRemove(address.Address, out _);
            }

            if ((config.MacMode == MacMode.Virtual || !shared) && _guardianKnows.Remove((linkName, address)))
            {
                _guardian?.DisownAddress(linkName, Cidr(address));
            }
        }
    }

    public void SetAddresses(VirtualHostConfig config, IReadOnlyList<CarpAddress> addresses, bool present)
    {
        var linkName = AddressLink(config);
        if (present && _batching)
        {
            // Added at the flush, or from the pass's sixteenth address on by the batch's own thread while the engine goes
            // on; either way each host's stall timeout reaches the guardian just before its addresses.
            _batch.Hold(config, linkName, addresses);
            return;
        }

        AddPending();
        try
        {
            var link = _netlink.GetLink(linkName) ?? throw new CarpException(CarpErrorCode.ServiceError,
                $"{linkName} has disappeared: remove {config.Name} and create it again.");
            foreach (var address in addresses)
            {
                // Known to the guardian before it is added (since the interface was prepared, or told now): a death leaks nothing.
                if (present)
                {
                    TellGuardian([(linkName, address)]);
                    _netlink.AddAddress(link.Index, address.Address, address.PrefixLength);
                }
                else
                {
                    _netlink.RemoveAddress(link.Index, address.Address, address.PrefixLength);
                }
            }
        }
        catch (NetlinkException ex)
        {
            throw new CarpException(CarpErrorCode.ServiceError, $"{linkName}: the virtual addresses could not be changed: {ex.Message}", ex);
        }
        finally
        {
            UpdateStallTimeout(config, present);
        }
    }

    /// <inheritdoc />
    public bool AddressesRevoked()
    {
        if (!_stall.Turn(Stopwatch.GetTimestamp()))
        {
            return false;
        }

        // Whether or not its timer fired already, the guardian stands down too until a master holds addresses again; if it
        // fired, it forgot the addresses, so each is told again before it is next added.
        _guardian?.SetStallTimeout(TimeSpan.Zero, _stall.Generation);
        _guardianKnows.Clear();
        return true;
    }

    /// <summary>
    /// Tells the guardian, in one write, whatever of <paramref name="addresses"/> it does not know yet (write-ahead); a
    /// takeover's pass, whose addresses it knows, formats and writes nothing.
    /// </summary>
    private void TellGuardian(List<(string Link, CarpAddress Address)> addresses)
    {
        if (_guardian is null)
        {
            return;
        }

        _guardianHears.Clear();
        foreach (var held in addresses)
        {
            if (_guardianKnows.Add(held))
            {
                _guardianHears.Add((held.Link, Cidr(held.Address)));
            }
        }

        _guardian.OwnAddresses(_guardianHears);
    }

    /// <inheritdoc />
    public void Advertised()
    {
        if (_stall.Advertised(Stopwatch.GetTimestamp()))
        {
            _guardian?.Beat();
        }
    }

    /// <summary>The guardian's stall timeout follows the fastest master: see <see cref="StallWatch"/>.</summary>
    private void UpdateStallTimeout(VirtualHostConfig config, bool present)
    {
        if (_guardian is null)
        {
            return;
        }

        if (_stall.Hold(config.Name, present ? StallWatch.TimeoutFor(config) : null, Stopwatch.GetTimestamp()) is { } timeout)
        {
            _guardian.SetStallTimeout(timeout, _stall.Generation);
        }
    }

    /// <summary>Where a virtual host's addresses live: its macvlan in Virtual mode, the carpdev in Real mode.</summary>
    private static string AddressLink(VirtualHostConfig config) => config.MacMode == MacMode.Virtual ? config.Name : config.CarpDev;

    private static string Cidr(CarpAddress address) => $"{address.Address}/{address.PrefixLength}";

    private void RemoveAll(string linkName, IReadOnlyList<CarpAddress> addresses)
    {
        if (_netlink.GetLink(linkName) is { } link)
        {
            foreach (var address in addresses)
            {
                _netlink.RemoveAddress(link.Index, address.Address, address.PrefixLength);
            }
        }
    }

    private void TrySysctl(string key, int value)
    {
        try
        {
            LinuxSysctl.Ensure(key, value);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _log?.Invoke(CarpLogLevel.Warning, $"cannot set {key}={value}: {ex.Message}");
        }
    }

    public void Dispose()
    {
        // Everything was released before the wire is disposed; closing the guardian's pipe removes any leftover.
        _batch.Dispose();
        _arpSuppression.Dispose();
        _acceptFilter.Dispose();
        _guardian?.Dispose();
        _monitor.Dispose();
        _netlink.Dispose();
    }

    private sealed class Port(PacketDevice device, PacketSender? sender, UnicastSender unicast, LinkInfo link, LinuxWire owner) : IWirePort
    {
        // A pass's queue in the engine's order: a slot >= 0 is a frame in the sender's sendmmsg queue; Sent is a unicast
        // advert that already went out through its raw socket (a failed one throws and is never queued).
        private const int Sent = -1;
        private int[] _slots = new int[16];
        private bool[] _senderSent = new bool[16];
        private int _queued;

        public string Name => link.Name;

        public PhysicalAddress Mac => link.MacAddress;

        public IPAddress? IPv4 { get; private set; }

        public IPAddress? IPv6 { get; private set; }

        public bool LinkUp => owner._netlink.GetLink(link.Index)?.IsUp ?? false;

        public long CaptureDrops => device.CaptureDrops;

        public void RefreshAddresses()
        {
            (IPv4, IPv6, var global6) = owner.SourceAddresses(link.Index);
            unicast.SetGlobalSource(global6);
        }

        /// <summary>A pcap error propagates with its message; the engine logs and counts it (docs/protocol.md#send-errors).</summary>
        public bool Send(ReadOnlySpan<byte> frame)
        {
            try
            {
                if (UnicastSender.IsUnicastAdvert(frame))
                {
                    unicast.Send(frame);
                }
                else
                {
                    device.Send(frame);
                }

                return true;
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
        }

        /// <summary>A timer pass's frames go out in one sendmmsg(2) (docs/protocol.md#advert-coalescing); unicast adverts go at once.</summary>
        public bool CanQueue => sender is not null;

        public int Queued => _queued;

        public bool Queue(ReadOnlySpan<byte> frame)
        {
            if (sender is null)
            {
                return Send(frame);
            }

            int slot;
            if (UnicastSender.IsUnicastAdvert(frame))
            {
                // Routed by the kernel, not a frame for the packet socket: sent now; an error throws with its errno.
                unicast.Send(frame);
                slot = Sent;
            }
            else if (sender.Queue(frame))
            {
                slot = sender.Queued - 1;
            }
            else
            {
                return false;
            }

            if (_queued == _slots.Length)
            {
                Array.Resize(ref _slots, _queued * 2);
            }

            _slots[_queued++] = slot;
            return true;
        }

        public void Reserve(int frames)
        {
            sender?.Reserve(frames);
            if (frames > _slots.Length)
            {
                Array.Resize(ref _slots, frames);
                _senderSent = new bool[frames];
            }
        }

        public string? Flush(Span<bool> sent)
        {
            if (sender is null)
            {
                return null;
            }

            int frames = sender.Queued;
            if (_senderSent.Length < frames)
            {
                _senderSent = new bool[Math.Max(frames, _senderSent.Length * 2)];
            }

            string? error = frames > 0 ? sender.Flush(_senderSent.AsSpan(0, frames)) : null;
            for (int i = 0; i < _queued && i < sent.Length; i++)
            {
                sent[i] = _slots[i] == Sent || _senderSent[_slots[i]];
            }

            _queued = 0;
            return error;
        }

        public void Dispose()
        {
            sender?.Dispose();
            unicast.Dispose();
            device.Dispose();
        }
    }
}
