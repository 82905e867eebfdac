using System.Globalization;
using System.Net;
using Carp.Engine.Core;
using Carp.Linux;
using Carp.Network.Tests.Scenarios;

namespace Carp.Network.Tests.Faults;

/// <summary>
/// The master carpd frozen with SIGSTOP for 10 s (its host's kernel still answers ARP for the VIP it put
/// up): a third host arping the VIP every 100 ms never gets two replies to one request, nor replies from
/// two hosts; after SIGCONT exactly one master within 2 advert intervals. Needs the address guardian to
/// take the VIP away when the engine stops beating (docs/reliability.md).
/// </summary>
public sealed class SigstopScenarios
{
    private const string Vip = "192.0.2.1";

    [Fact]
    public void Master_carpd_stopped_for_ten_seconds_never_makes_two_arp_answers_and_one_master_follows_sigcont()
    {
        using var s = new Scenario(nodes: 3);
        var n1 = s.Node(1);
        var n2 = s.Node(2);
        var a = CarpdProcess.Start(s, "carpd1", n1.Namespace, CarpdProcess.WriteConfig(s, "n1.conf", 0));
        var b = CarpdProcess.Start(s, "carpd2", n2.Namespace, CarpdProcess.WriteConfig(s, "n2.conf", 100));
        a.WaitState(CarpState.Master, TimeSpan.FromSeconds(10));
        b.WaitState(CarpState.Backup, TimeSpan.FromSeconds(3));

        var repliesAt1 = ArpReplies(s, n1.BridgePort);
        var repliesAt2 = ArpReplies(s, n2.BridgePort);
        var prober = ArpProber.Start(s, s.Node(3), IPAddress.Parse(Vip));
        prober.Replies.Wait(_ => true, TimeSpan.FromSeconds(3), "a first ARP reply");
        var baseline = prober.Sent;
        Assert.True(Scenario.Eventually(() => prober.Sent >= baseline + 10, TimeSpan.FromSeconds(3)), "the prober stopped");

        int pid = a.Process.Id;
        long stopped = Clock.Now;
        long resumed;
        s.Log("test", $"SIGSTOP PID {pid}");
        Command.Run("kill", "-STOP", pid.ToString(CultureInfo.InvariantCulture)).EnsureSuccess();
        try
        {
            TestContext.Current.CancellationToken.WaitHandle.WaitOne(TimeSpan.FromSeconds(10)); // the fault's duration
        }
        finally
        {
            Command.Run("kill", "-CONT", pid.ToString(CultureInfo.InvariantCulture)).EnsureSuccess();
            resumed = Clock.Now;
            s.Log("test", $"SIGCONT PID {pid}");
        }

        // Exactly one master: both carpds polled every 25 ms.
        (CarpState A, CarpState B) states = default;
        bool one = Scenario.Eventually(() =>
        {
            states = (a.Status().State, b.Status().State);
            return (states.A == CarpState.Master) ^ (states.B == CarpState.Master);
        }, TimeSpan.FromSeconds(5), 25);
        double settleMs = Clock.Ms(resumed, Clock.Now);
        long settled = Clock.Now;
        Assert.True(Scenario.Eventually(() => prober.Sent >= prober.SentAt(settled) + 20, TimeSpan.FromSeconds(4)), "the prober stopped");
        prober.Stop();

        var windows = prober.Windows();
        int duplicates = windows.Count(w => w.Replies > 1);
        int twoMacs = windows.Count(w => w.Macs > 1);
        // From the bridge: requests answered by both nodes' ports.
        bool FromBothPorts((long From, long To, int Replies, int Macs) w) =>
            repliesAt1.Replies.All(_ => true, w.From).Any(r => r.At < w.To) && repliesAt2.Replies.All(_ => true, w.From).Any(r => r.At < w.To);
        int bothPorts = windows.Count(FromBothPorts);
        int unanswered = windows.Count(w => w.Replies == 0 && w.From > stopped);
        // Where a failure happened: each bad window's start relative to the SIGCONT (negative: during the stop).
        string Where(Func<(long From, long To, int Replies, int Macs), bool> bad) =>
            string.Join(", ", windows.Where(bad).Select(w => $"{Clock.Ms(resumed, w.From):0.0} ms ({w.Replies} replies, {w.Macs} MACs)"));
        s.Measure($"master carpd SIGSTOP 10 s: {windows.Count} ARP requests every 100 ms, {duplicates} answered more than once, " +
                  $"{twoMacs} by two MACs, {bothPorts} from both nodes, {unanswered} unanswered after the stop; " +
                  $"after SIGCONT one master in {settleMs:0} ms ({states.A}/{states.B}; bound 2 intervals = 2000 ms)");
        Assert.True(one, $"no single master 5 s after SIGCONT: {states.A}/{states.B}");
        Assert.InRange(settleMs, 0, 2000);
        Assert.True(duplicates == 0, $"{duplicates} requests answered more than once, at (from SIGCONT) {Where(w => w.Replies > 1)}");
        Assert.True(twoMacs == 0, $"{twoMacs} requests answered by two MACs, at (from SIGCONT) {Where(w => w.Macs > 1)}");
        Assert.True(bothPorts == 0, $"{bothPorts} requests answered from both nodes' ports, at (from SIGCONT) {Where(FromBothPorts)}");
        Assert.All(windows.Where(w => w.From > settled && w.To < Clock.Now), w => Assert.Equal(1, w.Replies));
    }

    /// <summary>ARP replies for the VIP leaving a node, at its bridge port.</summary>
    private static ArpReplyCapture ArpReplies(Scenario s, string port) => ArpReplyCapture.Start(s, s.Bridge, port);
}

/// <summary>ARP replies for 192.0.2.1 captured inbound on a bridge port (what that node answers).</summary>
internal sealed class ArpReplyCapture : IDisposable
{
    private readonly PacketDevice _device;

    private ArpReplyCapture(PacketDevice device, Recorder<byte[]> replies)
    {
        _device = device;
        Replies = replies;
    }

    public Recorder<byte[]> Replies { get; }

    public static ArpReplyCapture Start(Scenario s, string ns, string ifname)
    {
        var replies = new Recorder<byte[]>("ARP replies at " + ifname);
        var device = CaptureDevice.Start(ns, ifname, "inbound and arp", frame =>
        {
            if (ArpProber.ReplyMac(frame) is { } mac)
            {
                replies.Add(mac);
            }
        });
        return s.Own(new ArpReplyCapture(device, replies));
    }

    public void Dispose() => _device.Dispose();
}

/// <summary>Sends an ARP request for one address every 100 ms from a node and records every reply with its sender MAC.</summary>
internal sealed class ArpProber : IDisposable
{
    private static readonly byte[] VipBytes = IPAddress.Parse("192.0.2.1").GetAddressBytes();
    private readonly PacketDevice _device;
    private readonly List<long> _sent = [];
    private readonly CancellationTokenSource _stop = new();
    private Thread? _thread;
    private bool _disposed;

    private ArpProber(PacketDevice device, Recorder<byte[]> replies)
    {
        _device = device;
        Replies = replies;
    }

    public Recorder<byte[]> Replies { get; }

    public int Sent
    {
        get
        {
            lock (_sent)
            {
                return _sent.Count;
            }
        }
    }

    /// <summary>Requests sent up to <paramref name="at"/>.</summary>
    public int SentAt(long at)
    {
        lock (_sent)
        {
            return _sent.Count(t => t <= at);
        }
    }

    public static ArpProber Start(Scenario s, TestNode node, IPAddress target)
    {
        var replies = new Recorder<byte[]>("ARP replies at " + node.Namespace);
        var device = NetworkNamespace.Run(node.Namespace, () => new PacketDevice(node.Interface, frame =>
        {
            if (ReplyMac(frame) is { } mac)
            {
                replies.Add(mac);
            }
        }, "inbound and arp"));
        var prober = s.Own(new ArpProber(device, replies));
        device.Start();
        byte[] request = Request(device.MacAddress.GetAddressBytes(), node.IPv4.GetAddressBytes(), target.GetAddressBytes());
        prober._thread = new Thread(() =>
        {
            while (!prober._stop.IsCancellationRequested)
            {
                lock (prober._sent)
                {
                    prober._sent.Add(Clock.Now);
                }

                device.Send(request);
                prober._stop.Token.WaitHandle.WaitOne(100); // the probing rate
            }
        }) { IsBackground = true, Name = "arp prober" };
        prober._thread.Start();
        return prober;
    }

    /// <summary>The sender MAC of an ARP reply for the VIP, or null.</summary>
    public static byte[]? ReplyMac(ReadOnlySpan<byte> f) =>
        f.Length >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[20] == 0 && f[21] == 2 && f[28..32].SequenceEqual(VipBytes) ? f[22..28].ToArray() : null;

    /// <summary>Per request: its window up to the next request, the replies in it and the distinct MACs that sent them.</summary>
    public List<(long From, long To, int Replies, int Macs)> Windows()
    {
        long[] sent;
        lock (_sent)
        {
            sent = [.. _sent];
        }

        var replies = Replies.Snapshot();
        List<(long, long, int, int)> windows = [];
        for (int i = 0; i + 1 < sent.Length; i++)
        {
            var inWindow = replies.Where(r => r.At >= sent[i] && r.At < sent[i + 1]).ToList();
            windows.Add((sent[i], sent[i + 1], inWindow.Count, inWindow.Select(r => Convert.ToHexString(r.Item)).Distinct().Count()));
        }

        return windows;
    }

    public void Stop()
    {
        if (!_disposed)
        {
            _stop.Cancel();
            _thread?.Join();
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        Stop();
        _disposed = true;
        _device.Dispose();
        _stop.Dispose();
    }

    private static byte[] Request(byte[] mac, byte[] ip, byte[] target)
    {
        var f = new byte[42];
        for (int i = 0; i < 6; i++)
        {
            f[i] = 0xFF;
        }

        mac.CopyTo(f, 6);
        f[12] = 0x08; f[13] = 0x06; // ARP
        f[14] = 0; f[15] = 1; f[16] = 0x08; f[17] = 0; f[18] = 6; f[19] = 4; f[20] = 0; f[21] = 1; // Ethernet/IPv4, request
        mac.CopyTo(f, 22);
        ip.CopyTo(f, 28);
        target.CopyTo(f, 38);
        return f;
    }
}
