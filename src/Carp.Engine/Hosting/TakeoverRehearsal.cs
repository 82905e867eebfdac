using System.Net;
using System.Net.NetworkInformation;
using Carp.Engine.Core;
using Carp.Engine.Protocol;

namespace Carp.Engine.Hosting;

/// <summary>
/// Takes over, again and again, on a private node of the engine's own thread before that thread runs the real one
/// (BENCHMARKS.md#first-takeover). Compiling ahead (<see cref="JitWarmer"/>) leaves work that only a real call does: stub
/// fix-ups and call counting of the runtime's tiered compiler (each a write to executable memory), and the native state
/// OpenSSL keeps per thread (its random generator, seeded on a thread's first draw; HMAC contexts; the thread's malloc
/// arena). A fresh process's first takeover paid for all of it between its master-down deadline and its advert; a trace
/// of one (BENCHMARKS.md#first-takeover) found most of it in the service's own output, which a BACKUP never runs before
/// its takeover. So the private node's output is the service itself (<see cref="CarpService.RehearseTakeovers"/>): its
/// advert framing, batching, transition notices and announcements, over a port that drops every frame; nothing leaves
/// the process, no address is touched, nothing is logged or published.
/// </summary>
internal static class TakeoverRehearsal
{
    /// <summary>More than the tiered compiler's 30 calls, so that what a takeover runs is promoted before a real one.</summary>
    public const int Takeovers = 64;

    private const string VrrpHostName = "rehearsal-vrrp";

    /// <summary>The device name of the rehearsal's port: the rehearsal runs before the service has opened any carpdev.</summary>
    public const string DeviceName = "rehearsal0";

    /// <summary>
    /// Runs the takeovers on a private node whose effects go to <paramref name="output"/>; <paramref name="pass"/> runs one
    /// timer pass of that node as the service runs its own (inside its pass bookkeeping).
    /// </summary>
    public static void Run(ICarpOutput output, Action<CarpNode> pass)
    {
        var clock = new RehearsalClock();
        using var node = new CarpNode(output, clock);
        node.AddDevice(DeviceName, linkUp: true, IPAddress.Parse("192.0.2.1"), IPAddress.Parse("2001:db8::1"));
        node.AddVirtualHost(new VirtualHostConfig
        {
            Name = "rehearsal",
            Vhid = 1,
            CarpDev = DeviceName,
            Key = CarpKey.FromPassphrase("rehearsal"),
            Addresses = [CarpAddress.Parse("192.0.2.100/24"), CarpAddress.Parse("2001:db8::100/64")],
        });

        // A VRRPv3 host beside it: its takeover runs other code (docs/protocol.md#vrrp), cold otherwise in a fresh process.
        // Interval 1 s, priority 100: master-down 3.61 s, within the same 4 s step.
        node.AddVirtualHost(new VirtualHostConfig
        {
            Name = VrrpHostName,
            Vhid = 2,
            CarpDev = DeviceName,
            Protocol = VirtualHostProtocol.Vrrp,
            Addresses = [CarpAddress.Parse("192.0.2.101/24")],
        });

        for (var i = 0; i < Takeovers; i++)
        {
            // Master-down fires in a timer pass (the takeover), the next pass sends a periodic advert, then back to BACKUP.
            clock.Advance(TimeSpan.FromSeconds(4));
            pass(node);
            clock.Advance(TimeSpan.FromSeconds(1));
            pass(node);
            node.Force("rehearsal", CarpState.Backup);
            node.Force(VrrpHostName, CarpState.Backup);
        }

        node.RemoveVirtualHost("rehearsal");
        node.RemoveVirtualHost(VrrpHostName);
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

    /// <summary>A port that queues like the Linux one and drops what it is given.</summary>
    internal sealed class Port : IWirePort
    {
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
