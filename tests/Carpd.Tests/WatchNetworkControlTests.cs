using System.Collections.Concurrent;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Carp.Control;
using Carp.Engine.Core;
using Carp.Engine.Protocol;
using Carpd.Control;

namespace Carpd.Tests;

/// <summary>The watchNetwork control method (docs/carpd-protocol.md#watchnetwork): its params, its result and its refusals.</summary>
public sealed class WatchNetworkControlTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly TempDirectory _dir = new();
    private readonly ConcurrentQueue<string> _log = new();
    private readonly ConcurrentQueue<SegmentWatchRequest> _requests = new();
    private readonly CarpControlServer _server;

    public WatchNetworkControlTests()
    {
        _server = CarpControlServer.Start(new FakeCarpService(), _dir.File("carpd.sock"), new CarpControlServerOptions
        {
            Log = (level, line) => _log.Enqueue($"{level}: {line}"),
            WatchNetwork = (request, _) =>
            {
                _requests.Enqueue(request);
                return new SegmentWatchResult([Entry()], Frames: 12, BadPackets: 1, IgnoredPackets: 2, HmacUnchecked: 3);
            },
        });
    }

    public void Dispose()
    {
        _server.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void The_request_reaches_the_watch_and_its_entries_come_back_whole()
    {
        var result = SegmentWatchControl.Watch(_server.SocketPath, new SegmentWatchRequest
        {
            Interfaces = ["eth0", "eth1"],
            Duration = TimeSpan.FromSeconds(2.5),
            Vhid = 7,
            Pass = CarpKey.FromPassphrase("lanpasswd"),
            Addresses = [IPAddress.Parse("192.0.2.107"), IPAddress.Parse("2001:db8::107")],
        });

        var request = Assert.Single(_requests);
        Assert.Equal(["eth0", "eth1"], request.Interfaces);
        Assert.Equal(TimeSpan.FromSeconds(2.5), request.Duration);
        Assert.Equal((byte?)7, request.Vhid);
        Assert.Equal(CarpKey.FromPassphrase("lanpasswd"), request.Pass);
        Assert.Equal([IPAddress.Parse("192.0.2.107"), IPAddress.Parse("2001:db8::107")], request.Addresses);

        Assert.Equal((12L, 1L, 2L, 3L), (result.Frames, result.BadPackets, result.IgnoredPackets, result.HmacUnchecked));
        var entry = Assert.Single(result.Entries);
        var sent = Entry();
        Assert.Equal((sent.Interface, sent.Protocol, sent.Family, sent.Vhid, sent.Master, sent.Mac), (entry.Interface, entry.Protocol, entry.Family, entry.Vhid, entry.Master, entry.Mac));
        Assert.Equal(sent.Masters, entry.Masters);
        Assert.Equal(sent.Senders, entry.Senders);
        Assert.Equal((sent.AdvBase, sent.AdvSkew, sent.Demote, sent.Interval), (entry.AdvBase, entry.AdvSkew, entry.Demote, entry.Interval));
        Assert.Equal(sent.Addresses, entry.Addresses);
        Assert.Equal((sent.LastSeen, sent.At, sent.Adverts, sent.HmacFailures, sent.HmacVerified), (entry.LastSeen, entry.At, entry.Adverts, entry.HmacFailures, entry.HmacVerified));
        Assert.Equal(SegmentFindings.SplitBrain | SegmentFindings.MasterSilent, entry.Findings);
        Assert.Contains(_log, l => l.Contains("watching eth0, eth1 for 2.5 s", StringComparison.Ordinal));
        Assert.DoesNotContain(_log, l => l.Contains("lanpasswd", StringComparison.Ordinal) || l.Contains("bGFucGFzc3dk", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("{\"interfaces\":[\"eth0\"],\"duration\":0}", CarpErrorCode.InvalidArgument)]
    [InlineData("{\"interfaces\":[\"eth0\"],\"duration\":301}", CarpErrorCode.InvalidArgument)]
    [InlineData("{\"interfaces\":[\"eth0\"]}", CarpErrorCode.InvalidArgument)]
    [InlineData("{\"interfaces\":[],\"duration\":1}", CarpErrorCode.InvalidArgument)]
    [InlineData("{\"duration\":1}", CarpErrorCode.InvalidArgument)]
    [InlineData("{\"interfaces\":[\"eth0\"],\"duration\":1,\"vhid\":0}", CarpErrorCode.InvalidVhid)]
    [InlineData("{\"interfaces\":[\"eth0\"],\"duration\":1,\"vhid\":256}", CarpErrorCode.InvalidVhid)]
    [InlineData("{\"interfaces\":[\"eth0\"],\"duration\":1,\"addresses\":[\"not-an-address\"]}", CarpErrorCode.InvalidAddress)]
    [InlineData("{\"interfaces\":[\"eth0\"],\"duration\":1,\"pass\":\"%%%\"}", CarpErrorCode.InvalidPass)]
    public async Task Params_out_of_range_are_refused_with_a_code_and_nothing_is_watched(string parameters, CarpErrorCode code)
    {
        using var raw = await RawConnection.OpenAsync(_server.SocketPath);
        var reply = await raw.ExchangeAsync(ControlHarness.Request(1, "watchNetwork", parameters));
        Assert.Equal(code.ToString(), reply.GetProperty("error").GetProperty("data").GetProperty("code").GetString());
        Assert.Empty(_requests);
    }

    [Fact]
    public void A_carpd_that_cannot_watch_says_so()
    {
        using var h = new ControlHarness();
        var refused = Assert.Throws<CarpException>(() => SegmentWatchControl.Watch(h.Server.SocketPath,
            new SegmentWatchRequest { Interfaces = ["eth0"], Duration = TimeSpan.FromSeconds(1) }));
        Assert.Equal(CarpErrorCode.InvalidArgument, refused.Code);
    }

    private static SegmentEntry Entry()
    {
        var a = new SegmentSender(IPAddress.Parse("192.0.2.11"), CarpMac.Virtual(7), Now.AddSeconds(-9), Now.AddSeconds(-1), 8, 1, 0, 0, 0, TimeSpan.FromSeconds(1), false);
        var b = a with { Address = IPAddress.Parse("192.0.2.12"), Mac = PhysicalAddress.Parse("02-00-00-00-00-0B"), AdvSkew = 100, Adverts = 3, Leaving = true };
        return new SegmentEntry
        {
            Interface = "eth0",
            Protocol = SegmentProtocol.Carp,
            Family = AddressFamily.InterNetwork,
            Vhid = 7,
            Master = a.Address,
            Mac = a.Mac,
            Masters = [a.Address, b.Address],
            Senders = [a, b],
            AdvBase = 1,
            AdvSkew = 0,
            Demote = 2,
            Interval = TimeSpan.FromSeconds(1),
            Addresses = [IPAddress.Parse("192.0.2.107")],
            LastSeen = Now.AddSeconds(-1),
            At = Now,
            Adverts = 11,
            HmacFailures = 4,
            HmacVerified = 5,
            Findings = SegmentFindings.SplitBrain | SegmentFindings.MasterSilent,
        };
    }
}
