using System.Collections.Concurrent;
using System.Net;
using System.Net.NetworkInformation;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;
using Carp.Engine.Simulation;

namespace Carp.Engine.Tests.Hosting;

/// <summary>
/// The service follows its carpdevs' source addresses (docs/protocol.md#source-address), logs failed sends without
/// flooding (docs/protocol.md#send-errors) and sums its captures' drops into the statistics (docs/protocol.md#carpstats).
/// </summary>
public sealed class SourceAndSendFailureTests
{
    private static VirtualHostConfig Config(string address) => new()
    {
        Name = "carp1",
        Vhid = 1,
        CarpDev = "eth0",
        Key = CarpKey.FromPassphrase("Zq9-sekrit-77"),
        Addresses = [CarpAddress.Parse(address)],
    };

    [Fact]
    public async Task A_vhost_without_a_source_stays_INIT_with_a_logged_reason_and_starts_when_the_carpdev_gets_one()
    {
        var wire = new FakeWire { IPv6 = null };
        var log = new ConcurrentQueue<string>();
        using var service = new CarpService(wire, new CarpServiceOptions { Log = (_, line) => log.Enqueue(line) });
        var backup = new TaskCompletionSource<CarpStateChangedEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = service.Subscribe(e =>
        {
            if (e is CarpStateChangedEvent { NewState: CarpState.Backup } changed)
            {
                backup.TrySetResult(changed);
            }
        });

        var status = service.CreateInterface(Config("2001:db8::10/64"));

        Assert.Equal((CarpState.Init, TransitionReason.NoSourceAddress), (status.State, status.LastTransitionReason));
        Assert.Contains(log, l => l.Contains("carp1: stays INIT (NoSourceAddress)", StringComparison.Ordinal) && l.Contains("no IPv6 address", StringComparison.Ordinal));
        Assert.Empty(wire.Present);

        wire.IPv6 = IPAddress.Parse("fe80::1");
        wire.RaiseAddressesChanged("eth0");

        var started = await backup.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Equal((CarpState.Init, TransitionReason.Started), (started.OldState, started.Reason));
    }

    [Fact]
    public async Task A_burst_of_address_notifications_costs_one_re_read_and_never_waits_for_the_engine()
    {
        var wire = new FakeWire();
        using var service = new CarpService(wire);
        service.CreateInterface(Config("192.0.2.100/24"));
        var refreshesBefore = wire.Refreshes;

        // Hold the loop thread, as a long timer pass would, while a mass takeover's 255 notifications arrive.
        using var hold = new ManualResetEventSlim();
        wire.BlockNextRefresh = hold;
        wire.RaiseAddressesChanged("eth0");
        Assert.True(wire.Blocked.Wait(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken), "the first refresh never ran");

        var raising = Task.Run(() =>
        {
            for (var i = 0; i < 254; i++)
            {
                wire.RaiseAddressesChanged("eth0");
            }
        }, TestContext.Current.CancellationToken);
        // The notifier does not wait for the (held) loop thread.
        await raising.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        hold.Set();
        service.GetStatistics(); // runs on the loop thread after the queued refresh

        // The held one, and one for the 254 that came while it ran.
        Assert.Equal(refreshesBefore + 2, wire.Refreshes);
    }

    [Fact]
    public void A_failed_send_is_logged_at_most_once_per_10_s_per_host_with_the_count_it_kept_quiet()
    {
        var time = new SimulatedTimeProvider();
        var log = new SendFailureLog(time);

        Assert.Equal("boom", log.Line("carp1", "boom"));
        Assert.Null(log.Line("carp1", "boom"));
        Assert.Null(log.Line("carp1", "boom"));
        Assert.Equal("boom", log.Line("carp2", "boom"));
        time.AdvanceTo(TimeSpan.FromSeconds(9.9).Ticks);
        Assert.Null(log.Line("carp1", "boom"));
        time.AdvanceTo(TimeSpan.FromSeconds(10).Ticks);

        Assert.Equal("boom (3 more failed sends not logged in the last 10 s)", log.Line("carp1", "boom"));
        log.Forget("carp1");
        time.AdvanceTo(TimeSpan.FromSeconds(11).Ticks);
        Assert.Equal("again", log.Line("carp1", "again"));
    }

    [Fact]
    public void Capture_drops_are_summed_kept_when_a_port_closes_and_zeroed_by_a_reset()
    {
        var wire = new FakeWire();
        using var service = new CarpService(wire);
        Assert.Equal(0, service.GetStatistics().CaptureDrops);

        service.CreateInterface(Config("192.0.2.100/24"));
        wire.Drops = 5;
        Assert.Equal(5, service.GetStatistics().CaptureDrops);

        service.ResetStatistics();
        Assert.Equal(0, service.GetStatistics().CaptureDrops);
        wire.Drops = 8;
        Assert.Equal(3, service.GetStatistics().CaptureDrops);

        service.RemoveInterface("carp1");
        Assert.Equal(3, service.GetStatistics().CaptureDrops);
    }

    /// <summary>One carpdev "eth0" whose addresses and capture drops the test sets.</summary>
    private sealed class FakeWire : ICarpWire
    {
        public IPAddress? IPv4 { get; set; } = IPAddress.Parse("192.0.2.1");

        public IPAddress? IPv6 { get; set; } = IPAddress.Parse("fe80::1");

        public long Drops { get; set; }

        public int Refreshes => Volatile.Read(ref _refreshes);

        /// <summary>When set, the next <c>RefreshAddresses</c> signals <see cref="Blocked"/> and waits for it.</summary>
        public ManualResetEventSlim? BlockNextRefresh { get; set; }

        public ManualResetEventSlim Blocked { get; } = new();

        private int _refreshes;

        private void Refreshed()
        {
            Interlocked.Increment(ref _refreshes);
            if (BlockNextRefresh is { } hold)
            {
                BlockNextRefresh = null;
                Blocked.Set();
                hold.Wait(TimeSpan.FromSeconds(10));
            }
        }

        public ConcurrentDictionary<CarpAddress, bool> Present { get; } = new();

        public event Action<string, bool>? LinkChanged
        {
            add { }
            remove { }
        }

        public event Action<string?>? AddressesChanged;

        public void RaiseAddressesChanged(string? carpDev) => AddressesChanged?.Invoke(carpDev);

        public IWirePort OpenPort(string carpDev, FrameHandler onFrame) => new Port(this);

        public void PrepareInterface(VirtualHostConfig config)
        {
        }

        public void ReleaseInterface(VirtualHostConfig config)
        {
        }

        public void SetAddresses(VirtualHostConfig config, IReadOnlyList<CarpAddress> addresses, bool present)
        {
            foreach (var address in addresses)
            {
                if (present)
                {
                    Present[address] = true;
                }
                else
                {
                    Present.TryRemove(address, out _);
                }
            }
        }

        public void Dispose()
        {
        }

        private sealed class Port(FakeWire wire) : IWirePort
        {
            private IPAddress? _v4 = wire.IPv4;
            private IPAddress? _v6 = wire.IPv6;

            public string Name => "eth0";

            public PhysicalAddress Mac { get; } = new([0x02, 0, 0, 0, 0, 1]);

            public IPAddress? IPv4 => _v4;

            public IPAddress? IPv6 => _v6;

            public bool LinkUp => true;

            public long CaptureDrops => wire.Drops;

            public void RefreshAddresses()
            {
                (_v4, _v6) = (wire.IPv4, wire.IPv6);
                wire.Refreshed();
            }

            public bool Send(ReadOnlySpan<byte> frame) => true;

            public void Dispose()
            {
            }
        }
    }
}
