using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.NetworkInformation;
using Carp.Linux;

namespace Carp.Network.Tests;

public sealed class PacketDeviceTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Collects the markers of captured test frames and lets a test await one.</summary>
    private sealed class Receiver
    {
        private readonly ConcurrentDictionary<ulong, long> _seen = new();
        private readonly ConcurrentDictionary<ulong, TaskCompletionSource<long>> _waiters = new();

        public void OnFrame(ReadOnlySpan<byte> frame)
        {
            long now = Stopwatch.GetTimestamp();
            if (TestFrames.MarkerOf(frame) is not { } marker)
            {
                return; // IPv6 autoconfiguration noise (ICMPv6) also passes the filter
            }

            _seen.TryAdd(marker, now);
            Waiter(marker).TrySetResult(now);
        }

        public bool Saw(ulong marker) => _seen.ContainsKey(marker);

        public long Await(ulong marker)
        {
            Task<long> task = Waiter(marker).Task;
            Assert.True(task.Wait(Timeout, TestContext.Current.CancellationToken), $"frame {marker:x} not captured within {Timeout}");
            return task.Result;
        }

        private TaskCompletionSource<long> Waiter(ulong marker) =>
            _waiters.GetOrAdd(marker, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));
    }

    private static (TestNetwork Net, string A, string B) TwoHostsOnOneVeth()
    {
        var net = NetworkPrerequisites.Network(0);
        try
        {
            string a = net.AddNamespace("a");
            string b = net.AddNamespace("b");
            net.AddVethPair(a, "va", b, "vb");
            return (net, a, b);
        }
        catch
        {
            net.Dispose();
            throw;
        }
    }

    [Fact]
    public void Frame_sent_in_one_namespace_is_captured_in_the_other_but_not_echoed_to_the_sender()
    {
        (TestNetwork net, string nsA, string nsB) = TwoHostsOnOneVeth();
        using (net)
        {
            var atA = new Receiver();
            var atB = new Receiver();
            using PacketDevice a = NetworkNamespace.Run(nsA, () => new PacketDevice("va", atA.OnFrame));
            using PacketDevice b = NetworkNamespace.Run(nsB, () => new PacketDevice("vb", atB.OnFrame));
            Assert.Equal(PacketDevice.DefaultFilter, a.Filter);
            a.Start();
            b.Start();

            a.Send(TestFrames.CarpV4(a.MacAddress, 0xA1));
            atB.Await(0xA1);

            a.Send(TestFrames.CarpV6(a.MacAddress, 0xA2));
            atB.Await(0xA2);

            // A frame the filter rejects, then one it accepts: when the second arrives the first
            // would already have been delivered (same path, FIFO ring) had it passed.
            a.Send(TestFrames.UdpV4(a.MacAddress, 0xA3));
            a.Send(TestFrames.CarpV4(a.MacAddress, 0xA4));
            atB.Await(0xA4);
            Assert.False(atB.Saw(0xA3), "a UDP frame passed the CARP filter");

            // "inbound": A's own frames must not come back to A. A sentinel from B reaches A after
            // any echo of A's frames would have.
            b.Send(TestFrames.CarpV4(b.MacAddress, 0xB1));
            atA.Await(0xB1);
            Assert.False(atA.Saw(0xA1) || atA.Saw(0xA2) || atA.Saw(0xA4), "the sender captured its own frame");
            Assert.Equal(4, a.FramesSent);
            Assert.Equal(1, b.FramesSent);
            Assert.True(b.FramesReceived >= 3);
        }
    }

    [Fact]
    public void Inbound_hides_frames_other_sockets_of_the_same_host_send()
    {
        (TestNetwork net, string nsA, string nsB) = TwoHostsOnOneVeth();
        using (net)
        {
            var atA = new Receiver();
            var atB = new Receiver();
            using PacketDevice a = NetworkNamespace.Run(nsA, () => new PacketDevice("va", atA.OnFrame));
            // A second, unfiltered handle on the same interface plays "another sender on host A".
            using PacketDevice other = NetworkNamespace.Run(nsA, () => new PacketDevice("va", _ => { }, filter: null));
            using PacketDevice b = NetworkNamespace.Run(nsB, () => new PacketDevice("vb", atB.OnFrame));
            a.Start();
            b.Start();

            other.Send(TestFrames.CarpV4(a.MacAddress, 0xD1));
            atB.Await(0xD1);
            b.Send(TestFrames.CarpV4(b.MacAddress, 0xD2));
            atA.Await(0xD2);
            Assert.False(atA.Saw(0xD1), "an outgoing frame of this host passed the inbound filter");
        }
    }

    [Theory]
    [InlineData(PacketDevice.DefaultFilter, true, "(ip proto 112 or ip6 proto 112 or arp or icmp6)")]
    [InlineData("inbound", true, null)]
    [InlineData("  inbound and arp ", true, "arp")]
    [InlineData("arp and inbound", false, "arp and inbound")]
    [InlineData(null, false, null)]
    public void A_leading_inbound_becomes_a_capture_direction(string? filter, bool inbound, string? kernelFilter)
    {
        Assert.Equal((inbound, kernelFilter), PacketDevice.SplitDirection(filter));
    }

    [Fact]
    public void Send_to_callback_latency_is_sub_millisecond_in_immediate_mode()
    {
        (TestNetwork net, string nsA, string nsB) = TwoHostsOnOneVeth();
        using (net)
        {
            var atB = new Receiver();
            using PacketDevice a = NetworkNamespace.Run(nsA, () => new PacketDevice("va", _ => { }));
            using PacketDevice b = NetworkNamespace.Run(nsB, () => new PacketDevice("vb", atB.OnFrame));
            b.Start();

            const int Count = 300;
            var latencies = new double[Count];
            var wakeups = new double[Count];
            var sendCosts = new double[Count];
            for (int i = 0; i < Count; i++)
            {
                ulong marker = 0x1000 + (ulong)i;
                byte[] frame = TestFrames.CarpV4(a.MacAddress, marker);
                long sent = Stopwatch.GetTimestamp();
                a.Send(frame);
                sendCosts[i] = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
                long received = atB.Await(marker);
                wakeups[i] = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
                latencies[i] = Stopwatch.GetElapsedTime(sent, received).TotalMilliseconds;
            }

            Array.Sort(latencies);
            Array.Sort(wakeups);
            Array.Sort(sendCosts);
            double median = latencies[Count / 2], p90 = latencies[Count * 9 / 10], max = latencies[^1];
            TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"MEASURE pcap send->callback latency over {Count} frames: median {median:F3} ms, p90 {p90:F3} ms, max {max:F3} ms; " +
                $"send->waiting test thread resumed: median {wakeups[Count / 2]:F3} ms; Send() call: median {sendCosts[Count / 2]:F3} ms"));
            Assert.True(median < 20, $"median latency {median} ms: immediate mode not in effect?");
        }
    }

    [Fact]
    public void Macvlan_device_joins_the_CARP_groups_and_receives_the_multicast()
    {
        (TestNetwork net, string nsA, string nsB) = TwoHostsOnOneVeth();
        using (net)
        {
            var vmac = PhysicalAddress.Parse("00-00-5E-00-01-07");
            NetworkNamespace.Run(nsB, () =>
            {
                using var nl = new NetlinkRouteSocket();
                nl.CreateMacvlan("carp7", "vb", vmac);
                nl.SetLinkUp("carp7", true);
            });

            var atCarp = new Receiver();
            using PacketDevice a = NetworkNamespace.Run(nsA, () => new PacketDevice("va", _ => { }));
            PacketDevice carp = NetworkNamespace.Run(nsB, () => new PacketDevice("carp7", atCarp.OnFrame));
            try
            {
                Assert.Equal(vmac, carp.MacAddress);
                string maddr = net.Ip("-n", nsB, "maddr", "show", "dev", "carp7").StandardOutput;
                Assert.Contains("01:00:5e:00:00:12", maddr);
                Assert.Contains("33:33:00:00:00:12", maddr);
                carp.Start();

                a.Send(TestFrames.CarpV4(a.MacAddress, 0xC1));
                atCarp.Await(0xC1);
                a.Send(TestFrames.CarpV6(a.MacAddress, 0xC2));
                atCarp.Await(0xC2);
            }
            finally
            {
                carp.Dispose();
            }

            string after = net.Ip("-n", nsB, "maddr", "show", "dev", "carp7").StandardOutput;
            Assert.DoesNotContain("01:00:5e:00:00:12", after); // memberships end with the device
        }
    }

    [Fact]
    public void Dispose_stops_the_capture_thread_promptly()
    {
        (TestNetwork net, string nsA, _) = TwoHostsOnOneVeth();
        using (net)
        {
            var device = NetworkNamespace.Run(nsA, () => new PacketDevice("va", _ => { }, options: new PacketDeviceOptions { ReadTimeoutMilliseconds = 5000 }));
            device.Start();
            var stopwatch = Stopwatch.StartNew();
            device.Dispose();
            // pcap_breakloop wakes the reader; without it Dispose would wait for the 5 s read timeout.
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(2), $"Dispose took {stopwatch.Elapsed}");
            Assert.Throws<ObjectDisposedException>(() => device.Send(new byte[60]));
        }
    }

    [Fact]
    public void Unknown_interface_gives_a_clear_error()
    {
        (TestNetwork net, string nsA, _) = TwoHostsOnOneVeth();
        using (net)
        {
            var ex = Assert.Throws<PacketDeviceException>(() => NetworkNamespace.Run(nsA, () => new PacketDevice("nosuch0", _ => { })));
            Assert.Contains("nosuch0", ex.Message);
        }
    }

    [Fact]
    public void Invalid_filter_gives_a_clear_error()
    {
        (TestNetwork net, string nsA, _) = TwoHostsOnOneVeth();
        using (net)
        {
            var ex = Assert.Throws<PacketDeviceException>(() => NetworkNamespace.Run(nsA, () => new PacketDevice("va", _ => { }, "ip proto nonsense")));
            Assert.Contains("va", ex.Message);
        }
    }

    [Fact]
    public void Missing_libpcap_maps_to_an_install_hint()
    {
        Assert.Contains("install libpcap0.8", new LibpcapMissingException().Message);
        Assert.True(LibpcapLibrary.IsMissingLibraryError(new DllNotFoundException("libpcap")));
        Assert.True(LibpcapLibrary.IsMissingLibraryError(new TypeInitializationException("X", new DllNotFoundException())));
        Assert.False(LibpcapLibrary.IsMissingLibraryError(new InvalidOperationException()));
    }
}
