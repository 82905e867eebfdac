using System.Collections.Concurrent;
using System.Net;
using System.Net.NetworkInformation;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Tests.Core;
using Microsoft.Extensions.Time.Testing;

namespace Carp.Engine.Tests.Hosting;

/// <summary>CarpService with log=2: every bad packet is counted, but the log gets one line per counter per interval and a summary.</summary>
public sealed class BadPacketLogTests
{
    [Fact]
    public async Task A_flood_of_bad_packets_is_counted_in_full_and_logged_once_per_counter_then_summarized()
    {
        var time = new FakeTimeProvider();
        var log = new ConcurrentQueue<string>();
        var wire = new InjectingWire();
        using var service = new CarpService(wire, new CarpServiceOptions
        {
            TimeProvider = time,
            Sysctls = CarpSysctls.Default with { Log = 2 },
            Log = (level, line) => log.Enqueue($"{level}: {line}"),
        });
        service.CreateInterface(CoreHarness.Config(device: "bad0"));

        for (var i = 0; i < 100; i++)
        {
            wire.Inject(Packets.V4(Packets.Header(addresses: CoreHarness.Vip), ttl: 1));
        }

        for (var i = 0; i < 50; i++)
        {
            wire.Inject(Packets.Frame(false, Packets.Header(pass: "foobaz", addresses: CoreHarness.Vip)));
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (service.GetStatistics() is var stats && (stats.BadTtl < 100 || stats.BadAuth < 50))
        {
            await Task.Delay(5, timeout.Token);
        }

        var statistics = service.GetStatistics();
        Assert.Equal(100, statistics.BadTtl);
        Assert.Equal(50, statistics.BadAuth);
        Assert.Equal(2, log.Count(l => l.Contains("dropped a packet", StringComparison.Ordinal)));
        Assert.Single(log, l => l.Contains("BadTtl", StringComparison.Ordinal));
        Assert.DoesNotContain(log, l => l.Contains("more bad packets", StringComparison.Ordinal));

        time.Advance(TimeSpan.FromSeconds(10));

        Assert.Contains("Debug: 99 more bad packets (BadTtl) dropped in the last 10 s", log);
        Assert.Contains("Debug: 49 more bad packets (BadAuth) dropped in the last 10 s", log);
        Assert.Equal(4, log.Count(l => l.Contains("BadTtl", StringComparison.Ordinal) || l.Contains("BadAuth", StringComparison.Ordinal)));
    }

    /// <summary>One carpdev whose received frames the test injects.</summary>
    private sealed class InjectingWire : ICarpWire
    {
        private FrameHandler? _onFrame;

        public event Action<string, bool>? LinkChanged
        {
            add { }
            remove { }
        }

        public event Action<string?>? AddressesChanged
        {
            add { }
            remove { }
        }

        public void Inject(byte[] frame) => (_onFrame ?? throw new InvalidOperationException("no port open"))(frame, System.Diagnostics.Stopwatch.GetTimestamp());

        public IWirePort OpenPort(string carpDev, FrameHandler onFrame)
        {
            _onFrame = onFrame;
            return new Port(carpDev);
        }

        public void PrepareInterface(VirtualHostConfig config)
        {
        }

        public void ReleaseInterface(VirtualHostConfig config)
        {
        }

        public void SetAddresses(VirtualHostConfig config, IReadOnlyList<CarpAddress> addresses, bool present)
        {
        }

        public void Dispose()
        {
        }

        private sealed class Port(string name) : IWirePort
        {
            public string Name => name;

            public PhysicalAddress Mac { get; } = PhysicalAddress.Parse("02-00-00-00-00-01");

            public IPAddress? IPv4 { get; } = IPAddress.Parse("192.0.2.1");

            public IPAddress? IPv6 => null;

            public bool LinkUp => true;

            public bool Send(ReadOnlySpan<byte> frame) => true;

            public long CaptureDrops => 0;

            public void RefreshAddresses()
            {
            }

            public void Dispose()
            {
            }
        }
    }
}
