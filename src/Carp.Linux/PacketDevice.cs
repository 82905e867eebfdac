using System.Diagnostics;
using System.Reflection;
using System.Net.NetworkInformation;
using System.Runtime.InteropServices;
using Carp.Engine.Hosting;
using SharpPcap;
using SharpPcap.LibPcap;

namespace Carp.Linux;

/// <summary>
/// Raw Ethernet access to one interface ("carpdev") through libpcap (SharpPcap), opened in
/// immediate mode so each frame reaches the callback at once (≈0.2 ms) instead of in
/// TPACKET_V3 blocks. Frames pass a kernel BPF filter (by default: inbound CARP, ARP, ICMPv6)
/// and are handed to the callback on a dedicated thread, without copying or allocating; the span
/// is only valid during the callback. The device belongs to the network namespace of the thread
/// that constructs it.
/// </summary>
public sealed unsafe class PacketDevice : IDisposable
{
    /// <summary>Inbound CARP (IPv4 and IPv6), ARP and ICMPv6 (neighbour discovery).
    /// "inbound" hides the frames this host sends itself.</summary>
    public const string DefaultFilter = "inbound and (ip proto 112 or ip6 proto 112 or arp or icmp6)";

    private readonly LibPcapLiveDevice _device;
    private readonly FrameHandler _onFrame;
    private readonly FileDescriptorHandle? _membershipSocket;
    private readonly Lock _gate = new();
    private Thread? _thread;
    private volatile bool _stopping;
    private bool _disposed;
    private long _received;
    private long _sent;

    /// <summary>Opens <paramref name="interfaceName"/> in the calling thread's network namespace.
    /// Call <see cref="Start"/> to begin delivering frames.</summary>
    /// <param name="interfaceName">The interface, e.g. "eth0".</param>
    /// <param name="onFrame">Receives each captured Ethernet frame on the capture thread.</param>
    /// <param name="filter">pcap filter expression; null or empty captures everything.</param>
    /// <param name="options">Further settings; null for the defaults.</param>
    /// <exception cref="LibpcapMissingException">libpcap is not installed.</exception>
    /// <exception cref="PacketDeviceException">The interface is missing or cannot be opened.</exception>
    public PacketDevice(string interfaceName, Action<ReadOnlySpan<byte>> onFrame, string? filter = DefaultFilter, PacketDeviceOptions? options = null)
        : this(interfaceName, Wrap(onFrame), filter, options)
    {
    }

    /// <summary>Opens <paramref name="interfaceName"/> like the other constructor; <paramref name="onFrame"/> also gets each
    /// frame's arrival time: the kernel's receive time stamp as a <see cref="System.Diagnostics.Stopwatch"/> timestamp.</summary>
    public PacketDevice(string interfaceName, FrameHandler onFrame, string? filter = DefaultFilter, PacketDeviceOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(interfaceName);
        ArgumentNullException.ThrowIfNull(onFrame);
        options ??= new PacketDeviceOptions();
        LibpcapLibrary.EnsureAvailable();

        LinkInfo link;
        using (var netlink = new NetlinkRouteSocket())
        {
            link = netlink.GetLink(interfaceName)
                ?? throw new PacketDeviceException($"No interface '{interfaceName}' in this network namespace.");
        }

        InterfaceName = interfaceName;
        InterfaceIndex = link.Index;
        MacAddress = link.MacAddress;
        Filter = string.IsNullOrEmpty(filter) ? null : filter;
        _onFrame = onFrame;

        _device = OpenDevice(interfaceName, Filter, options);

        // Multicast: macvlan devices and real NICs drop multicast frames for groups nobody joined
        // (veth does not). Rather than promiscuous mode, which would also make the kernel receive
        // every unicast frame on the segment, we join exactly the CARP link-layer groups with
        // PACKET_ADD_MEMBERSHIP on a protocol-0 AF_PACKET socket (it receives nothing itself) that
        // lives as long as this device; the kernel drops the memberships when it is closed.
        try
        {
            if (options.MulticastGroups.Count > 0)
            {
                _membershipSocket = JoinMulticastGroups(InterfaceIndex, options.MulticastGroups);
            }
        }
        catch
        {
            _device.Close();
            throw;
        }
    }

    /// <summary>Whether libpcap can be loaded on this machine.</summary>
    public static bool IsLibpcapAvailable => LibpcapLibrary.IsAvailable;

    public string InterfaceName { get; }

    /// <summary>Interface index in the device's namespace.</summary>
    public int InterfaceIndex { get; }

    /// <summary>The interface's own MAC address (as found when opened).</summary>
    public PhysicalAddress MacAddress { get; }

    /// <summary>The pcap filter in force, or null.</summary>
    public string? Filter { get; }

    /// <summary>Frames delivered to the callback.</summary>
    public long FramesReceived => Interlocked.Read(ref _received);

    /// <summary>Frames sent.</summary>
    public long FramesSent => Interlocked.Read(ref _sent);

    /// <summary>
    /// Frames the capture lost since it opened: libpcap's <c>ps_drop</c> (the kernel's capture buffer was full) plus
    /// <c>ps_ifdrop</c> (dropped by the interface), as <c>pcap_stats</c> reports them; 0 once closed.
    /// </summary>
    public long CaptureDrops
    {
        get
        {
            lock (_gate)
            {
                if (_disposed)
                {
                    return 0;
                }

                try
                {
                    var statistics = _device.Statistics;
                    return (long)statistics.DroppedPackets + statistics.InterfaceDroppedPackets;
                }
                catch (Exception ex) when (ex is PcapException or DeviceNotReadyException or InvalidOperationException)
                {
                    return 0;
                }
            }
        }
    }

    /// <summary>The packet socket pcap sends on (pcap_fileno), for batch sends; valid until <see cref="Dispose"/>; -1 if unknown.</summary>
    internal int SendDescriptor => LibpcapLibrary.FileNo(_device.Handle.DangerousGetHandle());

    /// <summary>The capture thread failed (or the callback threw); capture stops after a pcap error.</summary>
    public event EventHandler<Exception>? Faulted;

    /// <summary>Starts the capture thread (idempotent).</summary>
    public void Start()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _thread ??= NetworkNamespace.StartWorker("carp capture " + InterfaceName, CaptureLoop);
        }
    }

    /// <summary>Sends one complete Ethernet frame (no FCS).</summary>
    public void Send(ReadOnlySpan<byte> frame)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        try
        {
            _device.SendPacket(frame);
        }
        catch (DeviceNotReadyException ex)
        {
            throw new ObjectDisposedException(nameof(PacketDevice), ex);
        }
        catch (PcapException ex)
        {
            throw new PacketDeviceException($"Sending a {frame.Length}-byte frame on '{InterfaceName}' failed: {ex.Message}", ex);
        }

        Interlocked.Increment(ref _sent);
    }

    /// <summary>Stops the capture thread (waits for it), leaves the multicast groups and closes the device.</summary>
    public void Dispose()
    {
        Thread? thread;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            thread = _thread;
        }

        _stopping = true;
        if (thread is not null && thread != Thread.CurrentThread)
        {
            _ = LibpcapLibrary.BreakLoop(_device.Handle.DangerousGetHandle());
            thread.Join();
        }

        _device.Close();
        _membershipSocket?.Dispose();
    }

    /// <summary>
    /// Splits a leading "inbound" off the filter. libpcap compiles "inbound" to a load of the
    /// kernel's packet type (SKF_AD_PKTTYPE), which only the kernel can evaluate; but with TPACKET_V3
    /// libpcap re-filters in user space the ring block that was current when the filter was set,
    /// and there that load fails, so the first frames after opening were silently dropped
    /// (measured: the first frame was always lost). pcap_setdirection(PCAP_D_IN) gives the same
    /// "not sent by this host" semantics from the ring's own packet type, in every block.
    /// </summary>
    internal static (bool InboundOnly, string? KernelFilter) SplitDirection(string? filter)
    {
        if (filter is null)
        {
            return (false, null);
        }

        string trimmed = filter.Trim();
        if (trimmed == "inbound")
        {
            return (true, null);
        }

        if (trimmed.StartsWith("inbound and ", StringComparison.Ordinal))
        {
            string rest = trimmed["inbound and ".Length..].Trim();
            return (true, rest.Length == 0 ? null : rest);
        }

        return (false, filter);
    }

    private static LibPcapLiveDevice OpenDevice(string interfaceName, string? filter, PacketDeviceOptions options)
    {
        LibPcapLiveDevice? device = null;
        try
        {
            device = FindDevice(interfaceName);
            var configuration = new DeviceConfiguration
            {
                Mode = options.Promiscuous ? DeviceModes.Promiscuous : DeviceModes.None,
                Immediate = options.Immediate,
                ReadTimeout = options.ReadTimeoutMilliseconds,
                Snaplen = options.SnapLength,
                BufferSize = options.BufferSizeBytes,
            };
            device.Open(configuration);
            (bool inboundOnly, string? kernelFilter) = SplitDirection(filter);
            if (inboundOnly && LibpcapLibrary.SetDirection(device.Handle.DangerousGetHandle(), LibpcapLibrary.DirectionIn) != 0)
            {
                kernelFilter = filter; // no pcap_setdirection: use the filter as written
            }

            if (kernelFilter is not null)
            {
                device.Filter = kernelFilter;
            }

            return device;
        }
        catch (Exception ex) when (LibpcapLibrary.IsMissingLibraryError(ex))
        {
            device?.Close();
            throw new LibpcapMissingException(LibpcapMissingException.DefaultMessage, ex);
        }
        catch (Exception ex) when (ex is PcapException or PlatformNotSupportedException)
        {
            device?.Close();
            throw new PacketDeviceException($"Cannot open '{interfaceName}' with libpcap: {ex.Message}", ex);
        }
    }

    private static LibPcapLiveDevice FindDevice(string name)
    {
        // LibPcapLiveDeviceList.Instance is a process-wide cached snapshot taken in whatever
        // namespace first asked; New() enumerates afresh in the calling thread's namespace.
        foreach (LibPcapLiveDevice candidate in LibPcapLiveDeviceList.New())
        {
            if (candidate.Name == name)
            {
                return candidate;
            }
        }

        throw new PacketDeviceException($"libpcap does not list interface '{name}'.");
    }

    private static FileDescriptorHandle JoinMulticastGroups(int ifIndex, IReadOnlyList<PhysicalAddress> groups)
    {
        int fd = LibC.Socket(LibC.AF_PACKET, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw LibC.LastError("socket(AF_PACKET)");
        }

        var handle = new FileDescriptorHandle(fd);
        try
        {
            foreach (PhysicalAddress group in groups)
            {
                byte[] mac = group.GetAddressBytes();
                if (mac.Length is 0 or > 8)
                {
                    throw new ArgumentException($"Invalid link-layer group address {group}.", nameof(groups));
                }

                var mreq = new LibC.PacketMreq
                {
                    IfIndex = ifIndex,
                    Type = LibC.PACKET_MR_MULTICAST,
                    AddressLength = (ushort)mac.Length,
                };
                for (int i = 0; i < mac.Length; i++)
                {
                    mreq.Address[i] = mac[i];
                }

                if (LibC.SetSockOpt(fd, LibC.SOL_PACKET, LibC.PACKET_ADD_MEMBERSHIP, &mreq, (uint)sizeof(LibC.PacketMreq)) != 0)
                {
                    throw LibC.LastError($"PACKET_ADD_MEMBERSHIP {group}");
                }
            }
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        return handle;
    }

    /// <summary>Compiles SharpPcap's send path and its native stubs ahead of the first send (see JitWarmer).</summary>
    internal static void PrepareSendPath()
    {
        var send = typeof(LibPcapLiveDevice).GetMethod(nameof(LibPcapLiveDevice.SendPacket), [typeof(ReadOnlySpan<byte>)]);
        if (send is not null)
        {
            System.Runtime.CompilerServices.RuntimeHelpers.PrepareMethod(send.MethodHandle);
        }

        if (typeof(LibPcapLiveDevice).Assembly.GetType("SharpPcap.LibPcap.LibPcapSafeNativeMethods") is { } natives)
        {
            foreach (var native in natives.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)
                         .Where(m => m.Name is "pcap_sendpacket" or "pcap_inject" && (m.Attributes & MethodAttributes.PinvokeImpl) != 0))
            {
                try
                {
                    Marshal.Prelink(native);
                }
                catch (DllNotFoundException)
                {
                    // libpcap missing: reported when a device is opened.
                }
            }
        }
    }

    private static FrameHandler Wrap(Action<ReadOnlySpan<byte>> onFrame)
    {
        ArgumentNullException.ThrowIfNull(onFrame);
        return (frame, _) => onFrame(frame);
    }

    /// <summary>
    /// The kernel's receive time of a frame (pcap_pkthdr.ts, wall-clock microseconds) as a Stopwatch timestamp: now on the
    /// monotonic clock minus the frame's age on the wall clock. An age below zero or above a second (the wall clock was
    /// stepped) counts as zero. docs/protocol.md#arrival-time.
    /// </summary>
    internal static long ArrivalTimestamp(long seconds, long microseconds, long nowStopwatch, DateTime nowUtc)
    {
        long ageMicroseconds = ((nowUtc.Ticks - DateTime.UnixEpoch.Ticks) / 10) - ((seconds * 1_000_000) + microseconds);
        if (ageMicroseconds is <= 0 or > 1_000_000)
        {
            return nowStopwatch;
        }

        return nowStopwatch - (long)(ageMicroseconds * (Stopwatch.Frequency / 1e6));
    }

    private void CaptureLoop()
    {
        RealtimeThread.TryEnable();
        // struct pcap_pkthdr { struct timeval ts; bpf_u_int32 caplen; bpf_u_int32 len; }
        int capLenOffset = 2 * IntPtr.Size;
        try
        {
            while (!_stopping)
            {
                IntPtr header = IntPtr.Zero, data = IntPtr.Zero;
                int rc = _device.GetNextPacketPointers(ref header, ref data);
                if (rc == 1)
                {
                    uint capLen = (uint)Marshal.ReadInt32(header, capLenOffset);
                    long arrivedAt = ArrivalTimestamp(Marshal.ReadIntPtr(header, 0), Marshal.ReadIntPtr(header, IntPtr.Size), Stopwatch.GetTimestamp(), DateTime.UtcNow);
                    Interlocked.Increment(ref _received);
                    try
                    {
                        _onFrame(new ReadOnlySpan<byte>((void*)data, (int)capLen), arrivedAt);
                    }
                    catch (Exception ex)
                    {
                        Faulted?.Invoke(this, ex);
                    }
                }
                else if (rc == 0 || _stopping)
                {
                    continue; // read timeout, or pcap_breakloop during Dispose
                }
                else
                {
                    throw new PacketDeviceException($"pcap_next_ex on '{InterfaceName}' returned {rc}: {_device.LastError}");
                }
            }
        }
        catch (Exception ex)
        {
            if (!_stopping)
            {
                Faulted?.Invoke(this, ex);
            }
        }
    }
}
