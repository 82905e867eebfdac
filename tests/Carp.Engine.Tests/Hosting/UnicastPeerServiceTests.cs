using System.Collections.Concurrent;
using System.Net;
using System.Net.NetworkInformation;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;

namespace Carp.Engine.Tests.Hosting;

/// <summary>
/// Unicast peers in the service (docs/protocol.md#unicast-peers): a peer's advert frame, what a change of peers does, and
/// the silent BACKUP's announcements of its own address (docs/protocol.md#unicast-backup-mac).
/// </summary>
public sealed class UnicastPeerServiceTests
{
    private static readonly PhysicalAddress CarpDevMac = new([0x02, 0, 0, 0, 0, 1]);
    private static readonly IPAddress OwnV4 = IPAddress.Parse("192.0.2.11");

    private static VirtualHostConfig Config(IPAddress? peer = null, IPAddress? peer6 = null) => new()
    {
        Name = "carp1",
        Vhid = 1,
        CarpDev = "eth0",
        AdvBase = 1,
        Key = CarpKey.FromPassphrase("Zq9-sekrit-77"),
        Addresses = [CarpAddress.Parse("192.0.2.1/24"), CarpAddress.Parse("2001:db8::1/64")],
        Peer = peer,
        Peer6 = peer6,
    };

    [Fact]
    public void InterfaceChange_sets_a_peer_keeps_it_through_other_changes_and_mcast_clears_it()
    {
        var peer = IPAddress.Parse("198.51.100.224");
        var config = new InterfaceChange { Peer = peer, Peer6 = IPAddress.Parse("fe80::2") }.ApplyTo(Config());
        Assert.Equal((peer, IPAddress.Parse("fe80::2")), (config.Peer, config.Peer6));

        // FreeBSD PR 284872: an advskew change must leave the peer as it was.
        config = new InterfaceChange { AdvSkew = 2 }.ApplyTo(config);
        Assert.Equal(peer, config.Peer);

        config = new InterfaceChange { Mcast = true }.ApplyTo(config);
        Assert.Null(config.Peer);
        Assert.Equal(IPAddress.Parse("fe80::2"), config.Peer6);
        config = new InterfaceChange { Mcast6 = true }.ApplyTo(config);
        Assert.Null(config.Peer6);
    }

    [Fact]
    public void InterfaceChange_refuses_a_peer_and_mcast_for_one_family()
    {
        var original = Config(IPAddress.Parse("192.0.2.12"));
        var refused = Assert.Throws<CarpException>(() => new InterfaceChange { Peer = IPAddress.Parse("192.0.2.13"), Mcast = true }.ApplyTo(original));
        Assert.Equal(CarpErrorCode.InvalidArgument, refused.Code);
        Assert.Equal(IPAddress.Parse("192.0.2.12"), original.Peer);
        // One family's mcast with the other family's peer is fine.
        Assert.Null(new InterfaceChange { Peer6 = IPAddress.Parse("2001:db8::2"), Mcast = true }.ApplyTo(original).Peer);
    }

    [Theory]
    [InlineData("224.0.0.18")]
    [InlineData("239.1.2.3")]
    [InlineData("255.255.255.255")]
    [InlineData("0.0.0.0")]
    [InlineData("ff02::12")]
    [InlineData("::")]
    public void A_peer_that_is_not_one_host_is_refused(string text)
    {
        var address = IPAddress.Parse(text);
        var config = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? Config(address) : Config(peer6: address);
        var refused = Assert.Throws<CarpException>(config.Validate);
        Assert.Equal(CarpErrorCode.InvalidAddress, refused.Code);
        Assert.Contains("unicast", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_unicast_advert_goes_to_the_peer_from_the_carpdev_MAC_and_the_port_resolves_the_next_hop()
    {
        var wire = new RecordingWire();
        using var service = new CarpService(wire);
        service.CreateInterface(Config(IPAddress.Parse("198.51.100.224"), IPAddress.Parse("fe80::2")));
        service.SetInterface("carp1", new InterfaceChange { State = CarpState.Master });

        var v4 = wire.WaitFor(f => Parse(f) is { Ip: 4, Protocol: 112 }, "an IPv4 advert");
        var v6 = wire.WaitFor(f => Parse(f) is { Ip: 6, Protocol: 112 }, "an IPv6 advert");
        Assert.Equal(IPAddress.Parse("198.51.100.224"), Parse(v4).Destination);
        Assert.Equal(IPAddress.Parse("fe80::2"), Parse(v6).Destination);
        foreach (var frame in new[] { v4, v6 })
        {
            // The kernel sends it from the carpdev (FreeBSD: the real MAC in unicast mode); the broadcast MAC is the placeholder.
            Assert.Equal(CarpDevMac, new PhysicalAddress(frame[6..12]));
            Assert.Equal(AdvertFrameCache.UnicastPlaceholderMac, new PhysicalAddress(frame[..6]));
            Assert.Equal(CarpConstants.Ttl, Parse(frame).Ttl);
        }

        // mcast: the next adverts go to the group again, from the virtual MAC.
        long sent = wire.Count;
        service.SetInterface("carp1", new InterfaceChange { Mcast = true, Mcast6 = true });
        var group = wire.WaitFor(f => Parse(f) is { Ip: 4, Protocol: 112 }, "an IPv4 advert after mcast", sent);
        Assert.Equal(CarpConstants.MulticastV4, Parse(group).Destination);
        Assert.Equal(CarpMac.Virtual(1), new PhysicalAddress(group[6..12]));
        Assert.Null(service.GetInterfaces().Single().Peer);
    }

    [Fact]
    public void A_BACKUP_with_a_unicast_peer_announces_its_own_address_from_its_MAC_and_never_a_VIP()
    {
        var wire = new RecordingWire();
        using var service = new CarpService(wire, new CarpServiceOptions
        {
            BackupMacRefresh = TimeSpan.FromMilliseconds(100),
            LoopTurnInterval = TimeSpan.FromMilliseconds(20),
        });
        service.CreateInterface(Config(IPAddress.Parse("192.0.2.12"), IPAddress.Parse("fe80::2")) with { AdvSkew = 200 });
        Assert.Equal(CarpState.Backup, service.GetInterfaces().Single().State);

        var first = wire.WaitFor(IsOwnArp, "a gratuitous ARP for the carpdev's own address");
        var second = wire.WaitFor(IsOwnArp, "a second one", wire.IndexOf(first) + 1);
        Assert.Equal(CarpDevMac, new PhysicalAddress(first[6..12]));
        Assert.Equal(CarpDevMac, new PhysicalAddress(second[6..12]));
        // The IPv6 peer: an unsolicited neighbour advertisement of the carpdev's own IPv6 source.
        var na = wire.WaitFor(f => Parse(f) is { Ip: 6, Protocol: 58, Source: var s } && s!.Equals(IPAddress.Parse("fe80::1")), "an NA for fe80::1");
        Assert.Equal(CarpDevMac, new PhysicalAddress(na[6..12]));
        Assert.Equal(CarpState.Backup, service.GetInterfaces().Single().State);
        Assert.DoesNotContain(wire.Frames, f => Parse(f).Protocol == 112);
        Assert.DoesNotContain(wire.Frames, f => f.AsSpan().IndexOf(IPAddress.Parse("192.0.2.1").GetAddressBytes()) >= 0);
        Assert.DoesNotContain(wire.Frames, f => f.AsSpan().IndexOf(IPAddress.Parse("2001:db8::1").GetAddressBytes()) >= 0);

        static bool IsOwnArp(byte[] f) => f[12] == 0x08 && f[13] == 0x06 && new IPAddress(f.AsSpan(28, 4)).Equals(OwnV4) && new IPAddress(f.AsSpan(38, 4)).Equals(OwnV4);
    }

    [Fact]
    public void A_BACKUP_without_a_unicast_peer_sends_nothing()
    {
        var wire = new RecordingWire();
        long firstTurn = 0, lastTurn = 0;
        using var service = new CarpService(wire, new CarpServiceOptions
        {
            BackupMacRefresh = TimeSpan.FromMilliseconds(50),
            LoopTurnInterval = TimeSpan.FromMilliseconds(20),
            LoopTurn = () =>
            {
                var now = System.Diagnostics.Stopwatch.GetTimestamp();
                Interlocked.CompareExchange(ref firstTurn, now, 0);
                Volatile.Write(ref lastTurn, now);
            },
        });
        service.CreateInterface(Config() with { AdvSkew = 200 });
        long created = System.Diagnostics.Stopwatch.GetTimestamp();
        // The loop turned for six refresh intervals after the host was created (a BACKUP): no announcement in them.
        Assert.True(SpinWait.SpinUntil(() => System.Diagnostics.Stopwatch.GetElapsedTime(created, Volatile.Read(ref lastTurn)) > TimeSpan.FromMilliseconds(300),
            TimeSpan.FromSeconds(10)), "the loop did not turn");
        Assert.Equal(CarpState.Backup, service.GetInterfaces().Single().State);
        Assert.Empty(wire.Frames);
        service.SetInterface("carp1", new InterfaceChange { Peer = IPAddress.Parse("192.0.2.12") });
        _ = wire.WaitFor(f => f[12] == 0x08 && f[13] == 0x06, "an announcement once a peer is set");
    }

    private readonly record struct Decoded(int Ip, int Protocol, IPAddress? Source, IPAddress? Destination, byte Ttl);

    private static Decoded Parse(byte[] f) => (f[12], f[13]) switch
    {
        (0x08, 0x00) => new Decoded(4, f[23], new IPAddress(f.AsSpan(26, 4)), new IPAddress(f.AsSpan(30, 4)), f[22]),
        (0x86, 0xDD) => new Decoded(6, f[20], new IPAddress(f.AsSpan(22, 16)), new IPAddress(f.AsSpan(38, 16)), f[21]),
        _ => new Decoded(0, 0, null, null, 0),
    };

    /// <summary>One carpdev "eth0" (192.0.2.11, fe80::1) that records every frame sent.</summary>
    private sealed class RecordingWire : ICarpWire
    {
        private readonly List<byte[]> _frames = [];

        public IReadOnlyList<byte[]> Frames
        {
            get
            {
                lock (_frames)
                {
                    return [.. _frames];
                }
            }
        }

        public long Count => Frames.Count;

        public int IndexOf(byte[] frame) => Frames.ToList().FindIndex(f => ReferenceEquals(f, frame));

        public byte[] WaitFor(Func<byte[], bool> match, string what, long from = 0)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (DateTime.UtcNow < deadline)
            {
                var found = Frames.Skip((int)from).FirstOrDefault(match);
                if (found is not null)
                {
                    return found;
                }

                TestContext.Current.CancellationToken.WaitHandle.WaitOne(10);
            }

            throw new Xunit.Sdk.XunitException($"no {what} within 10 s; sent {Count} frames");
        }

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

        public IWirePort OpenPort(string carpDev, FrameHandler onFrame) => new Port(this);

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

        private sealed class Port(RecordingWire wire) : IWirePort
        {
            public string Name => "eth0";

            public PhysicalAddress Mac => CarpDevMac;

            public IPAddress? IPv4 => OwnV4;

            public IPAddress? IPv6 { get; } = IPAddress.Parse("fe80::1");

            public bool LinkUp => true;

            public long CaptureDrops => 0;

            public void RefreshAddresses()
            {
            }

            public bool Send(ReadOnlySpan<byte> frame)
            {
                lock (wire._frames)
                {
                    wire._frames.Add(frame.ToArray());
                }

                return true;
            }

            public void Dispose()
            {
            }
        }
    }
}
