using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Carp.Linux;

namespace CarpPS;

/// <summary>
/// A drill's eyes on the carpdev (docs/protocol.md#failover-test): a libpcap capture (Carp.Linux's
/// <see cref="PacketDevice"/>, both directions, so this node's own bow-out and adverts are seen too) of the vhid's
/// adverts, ARP for the virtual address and echo replies from it; and, once probing starts, an ARP request for the
/// virtual address every 20 ms from the carpdev's own address and, once a MAC answered, an ICMP echo to that MAC.
/// The local host no longer holds the address after the bow-out, so every answer comes through the wire.
/// </summary>
internal sealed class FailoverWireProbe : FailoverProbe
{
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(20);

    private readonly PacketDevice _device;
    private readonly byte _vhid;
    private readonly IPAddress? _vip;
    private readonly IPAddress? _source;
    private readonly HashSet<IPAddress> _own;
    private readonly ushort _echoId = (ushort)Random.Shared.Next(1, ushort.MaxValue);
    private readonly CancellationTokenSource _stop = new();
    private Thread? _prober;
    private volatile string? _answeringMac;
    private readonly Dictionary<string, (string Mac, long At)> _lastReply = [];

    /// <param name="carpDev">The carpdev, in this process's network namespace.</param>
    /// <param name="vip">The IPv4 virtual address to probe (null: adverts only).</param>
    public FailoverWireProbe(string carpDev, byte vhid, IPAddress? vip)
    {
        _vhid = vhid;
        _vip = vip;
        using (var netlink = new NetlinkRouteSocket())
        {
            var index = netlink.GetLinkIndex(carpDev);
            var addresses = netlink.GetAddresses(index).Select(a => a.Address).ToList();
            _own = [.. addresses];
            _source = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !a.Equals(vip));
        }

        _device = new PacketDevice(carpDev, OnFrame, "ip proto 112 or ip6 proto 112 or arp or icmp", new PacketDeviceOptions { ReadTimeoutMilliseconds = 50 });
        Mac = _device.MacAddress;
        _device.Start();
    }

    public override string MeasuredOn => "Wire";

    /// <summary>The carpdev's MAC.</summary>
    public PhysicalAddress Mac { get; }

    /// <summary>Whether ARP and echo can be sent (the carpdev has an IPv4 address and the vhid one).</summary>
    public bool CanProbe => _vip is not null && _source is not null;

    public override void StartProbing()
    {
        if (CanProbe && _prober is null)
        {
            _prober = new Thread(ProbeLoop) { IsBackground = true, Name = "carp drill probe" };
            _prober.Start();
        }
    }

    private void ProbeLoop()
    {
        ushort sequence = 0;
        var arp = FailoverFrames.ArpRequest(Mac, _source!, _vip!);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                _device.Send(arp);
                if (_answeringMac is { } mac)
                {
                    _device.Send(FailoverFrames.EchoRequest(Mac, PhysicalAddress.Parse(mac.Replace(':', '-')), _source!, _vip!, _echoId, ++sequence));
                }
            }
            catch (Exception e) when (e is PacketDeviceException or ObjectDisposedException)
            {
                return;
            }

            _ = _stop.Token.WaitHandle.WaitOne(ProbeInterval);
        }
    }

    private void OnFrame(ReadOnlySpan<byte> frame)
    {
        if (FailoverFrames.Read(frame, _vhid, _vip, _echoId) is not { } seen)
        {
            return;
        }

        var now = Stopwatch.GetTimestamp();
        if (seen.Kind is FailoverObservation.ArpReply or FailoverObservation.EchoReply)
        {
            if (seen.Kind == FailoverObservation.ArpReply)
            {
                _answeringMac = seen.Mac;
            }

            // One answer every 20 ms: keep the first of a run, a change of MAC, and the first after a silence of 100 ms.
            var had = _lastReply.TryGetValue(seen.Kind, out var last);
            _lastReply[seen.Kind] = (seen.Mac, now);
            if (had && last.Mac == seen.Mac && Stopwatch.GetElapsedTime(last.At, now) <= TimeSpan.FromMilliseconds(100))
            {
                return;
            }
        }

        Add(new FailoverObservation(now, seen.Kind, seen.Source, seen.Mac, _own.Contains(seen.Source), seen.AdvBase, seen.AdvSkew));
    }

    public override void Dispose()
    {
        _stop.Cancel();
        _prober?.Join();
        _device.Dispose();
        _stop.Dispose();
        base.Dispose();
    }
}
