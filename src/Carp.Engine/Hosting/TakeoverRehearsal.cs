using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Carp.Engine.Core;
using Carp.Engine.Protocol;

namespace Carp.Engine.Hosting;

/// <summary>
/// Takes over, again and again, on a private node of the engine's own thread before that thread runs the real one
/// (BENCHMARKS.md#first-takeover). Compiling ahead (<see cref="JitWarmer"/>) leaves work that only a real call does: stub
/// fix-ups and call counting of the runtime's tiered compiler (each a write to executable memory), and the native state
/// OpenSSL keeps per thread (its random generator, seeded on a thread's first draw; HMAC contexts; the thread's malloc
/// arena). A fresh process's first takeover paid for all of it between its master-down deadline and its advert.
/// Nothing leaves the process: adverts and announcements are framed into a batch whose port drops them, and no address
/// is touched.
/// </summary>
internal static class TakeoverRehearsal
{
    /// <summary>More than the tiered compiler's 30 calls, so that what a takeover runs is promoted before a real one.</summary>
    public const int Takeovers = 64;

    public static void Run()
    {
        var clock = new RehearsalClock();
        using var output = new RehearsalOutput();
        using var node = new CarpNode(output, clock);
        node.AddDevice(RehearsalPort.DeviceName, linkUp: true, IPAddress.Parse("192.0.2.1"), IPAddress.Parse("2001:db8::1"));
        node.AddVirtualHost(new VirtualHostConfig
        {
            Name = "rehearsal",
            Vhid = 1,
            CarpDev = RehearsalPort.DeviceName,
            Key = CarpKey.FromPassphrase("rehearsal"),
            Addresses = [CarpAddress.Parse("192.0.2.100/24"), CarpAddress.Parse("2001:db8::100/64")],
        });

        for (var i = 0; i < Takeovers; i++)
        {
            // Master-down fires in a timer pass (the takeover), the next pass sends a periodic advert, then back to BACKUP.
            clock.Advance(TimeSpan.FromSeconds(4));
            node.RunDueTimers();
            clock.Advance(TimeSpan.FromSeconds(1));
            node.RunDueTimers();
            node.Force("rehearsal", CarpState.Backup);
        }
    }

    /// <summary>Time that moves only when told.</summary>
    private sealed class RehearsalClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public override DateTimeOffset GetUtcNow() => DateTimeOffset.UnixEpoch.AddTicks(_ticks);

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }

    /// <summary>The engine's framing and batching, as <see cref="CarpService"/> runs them, over a port that drops every frame.</summary>
    private sealed class RehearsalOutput : ICarpOutput, IDisposable
    {
        private readonly AdvertFrameCache _frames = new();
        private readonly WireBatch _batch = new();
        private readonly RehearsalPort _port = new();

        public bool SendAdvertisement(VirtualHost host, AddressFamily family, ReadOnlySpan<byte> carpHeader)
        {
            var source = (family == AddressFamily.InterNetwork ? _port.IPv4 : _port.IPv6)!;
            var frame = _frames.Frame(host, family, _port.Mac, source, CarpSysctls.Default.TrafficClass, carpHeader);
            return _batch.Advert(_port, frame, host);
        }

        public bool BeginAdvertBatch()
        {
            _batch.Begin();
            return true;
        }

        public void FlushAdvertisements(Span<bool> sent) => _batch.Flush(sent, static (_, _) => { });

        public void SetAddresses(VirtualHost host, IReadOnlyList<CarpAddress> addresses, bool present)
        {
        }

        public void Announce(VirtualHost host)
        {
            var mac = AdvertAddressing.SourceMacOf(host.Config, _port.Mac);
            foreach (var address in host.Config.Addresses)
            {
                _ = _batch.Other(_port, AdvertAddressing.Announcement(mac, address));
            }
        }

        public void StateChanged(VirtualHost host, CarpState oldState, CarpState newState, TransitionReason reason)
        {
        }

        public void DemotionChanged(VirtualHost host, byte oldAdvertisedAdvSkew, byte newAdvertisedAdvSkew, byte oldDemoteCount, byte newDemoteCount)
        {
        }

        public void MaintenanceChanged(VirtualHost host, bool maintenance)
        {
        }

        public void BadPacket(CarpStatistic counter, string carpDev, byte vhid, string detail)
        {
        }

        public void Dispose() => _port.Dispose();
    }

    /// <summary>A port that queues like the Linux one and drops what it is given.</summary>
    private sealed class RehearsalPort : IWirePort
    {
        public const string DeviceName = "rehearsal0";
        private int _queued;

        public string Name => DeviceName;

        public PhysicalAddress Mac { get; } = new([0x02, 0x00, 0x00, 0x00, 0x00, 0x01]);

        public IPAddress? IPv4 { get; } = IPAddress.Parse("192.0.2.1");

        public IPAddress? IPv6 { get; } = IPAddress.Parse("2001:db8::1");

        public bool LinkUp => true;

        public long CaptureDrops => 0;

        public bool CanQueue => true;

        public int Queued => _queued;

        public void RefreshAddresses()
        {
        }

        public bool Send(ReadOnlySpan<byte> frame) => true;

        public bool Queue(ReadOnlySpan<byte> frame)
        {
            _queued++;
            return true;
        }

        public string? Flush(Span<bool> sent)
        {
            sent[.._queued].Fill(true);
            _queued = 0;
            return null;
        }

        public void Dispose()
        {
        }
    }
}
