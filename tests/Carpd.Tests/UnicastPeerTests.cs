using System.Net;
using System.Reflection;
using Carp.Control;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carpd.Configuration;

namespace Carpd.Tests;

/// <summary>
/// Unicast peers in carpd (docs/protocol.md#unicast-peers): <c>peer</c>, <c>peer6</c>, <c>mcast</c> and <c>mcast6</c> in
/// the file, a change through the socket saved, and the control protocol carrying peers both ways (setInterface's
/// <c>peer</c>, <c>peer6</c>, <c>mcast</c>, <c>mcast6</c>; the status's <c>peer</c>, <c>peer6</c>).
/// </summary>
public sealed class UnicastPeerTests : IDisposable
{
    private const string Original =
        "carp1 vhid 1 carpdev eth0 peer 198.51.100.224 192.0.2.1/32\n" +
        "carp2 vhid 2 carpdev eth0 mcast mcast6 198.51.100.10/24\n";

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Mcast_and_mcast6_read_as_multicast_and_a_peer_is_written_back()
    {
        var path = _dir.Write("carpd.conf", Original);

        var configuration = CarpdConfiguration.Load(path);

        Assert.Equal(IPAddress.Parse("198.51.100.224"), configuration.Find("carp1")!.Peer);
        Assert.Null(configuration.Find("carp2")!.Peer);
        Assert.Null(configuration.Find("carp2")!.Peer6);
    }

    [Theory]
    [InlineData("carp1 vhid 1 carpdev eth0 peer 192.0.2.2 mcast 192.0.2.1/24", "both 'peer' and 'mcast'")]
    [InlineData("carp1 vhid 1 carpdev eth0 mcast6 peer6 fe80::2 192.0.2.1/24", "both 'peer6' and 'mcast6'")]
    [InlineData("carp1 vhid 1 carpdev eth0 mcast mcast 192.0.2.1/24", "'mcast' is given twice")]
    [InlineData("carp1 vhid 1 carpdev eth0 peer 224.0.0.18 192.0.2.1/24", "not a unicast address")]
    public void A_contradicting_or_non_unicast_peer_is_refused_with_its_line(string line, string problem)
    {
        var path = _dir.Write("carpd.conf", "net.inet.carp.preempt=1\n" + line + "\n");

        var ex = Assert.Throws<CarpdConfigurationException>(() => CarpdConfiguration.Load(path));

        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, ex.Line);
        Assert.False(string.IsNullOrWhiteSpace(ex.RecommendedAction));
    }

    [Fact]
    public void A_peer_set_and_cleared_through_the_service_is_saved_and_survives_an_advskew_change()
    {
        var path = _dir.Write("carpd.conf", Original);
        var configuration = CarpdConfiguration.Load(path);
        using var engine = CarpServices.CreateInMemory(new CarpServiceOptions(), "eth0");
        foreach (var config in configuration.Interfaces)
        {
            engine.CreateInterface(config);
        }

        using var service = new PersistingCarpService(engine, configuration, path);
        service.SetInterface("carp1", new InterfaceChange { AdvSkew = 2 });
        service.SetInterface("carp2", new InterfaceChange { Peer = IPAddress.Parse("192.0.2.12"), Peer6 = IPAddress.Parse("fe80::2") });

        Assert.Equal(
            "carp1 vhid 1 carpdev eth0 advskew 2 peer 198.51.100.224 192.0.2.1/32\n" +
            "carp2 vhid 2 carpdev eth0 peer 192.0.2.12 peer6 fe80::2 198.51.100.10/24\n",
            File.ReadAllText(path));
        Assert.Equal(IPAddress.Parse("198.51.100.224"), engine.GetInterfaces().Single(s => s.Name == "carp1").Peer);

        service.SetInterface("carp2", new InterfaceChange { Mcast = true });
        Assert.Contains("carp2 vhid 2 carpdev eth0 peer6 fe80::2 198.51.100.10/24\n", File.ReadAllText(path), StringComparison.Ordinal);
        Assert.Null(engine.GetInterfaces().Single(s => s.Name == "carp2").Peer);
    }

    [Fact]
    public void The_control_protocol_carries_peers_and_mcast_both_ways()
    {
        using var h = new ControlHarness();
        h.Client.CreateInterface(ControlHarness.Carp1());
        var listed = Assert.Single(h.Client.GetInterfaces());
        Assert.Equal(IPAddress.Parse("192.0.2.2"), listed.Peer);
        Assert.Equal(IPAddress.Parse("2001:db8::2"), listed.Peer6);

        h.Client.SetInterface("carp1", new InterfaceChange { Peer = IPAddress.Parse("198.51.100.224"), Mcast6 = true });

        var change = h.Fake.LastChange!.Value.Change;
        Assert.Equal(IPAddress.Parse("198.51.100.224"), change.Peer);
        Assert.Null(change.Peer6);
        Assert.False(change.Mcast);
        Assert.True(change.Mcast6);
    }

    [Fact]
    public void The_README_unicast_lines_are_a_configuration_carpd_reads()
    {
        var root = typeof(UnicastPeerTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!;
        var lines = File.ReadAllLines(Path.Combine(root, "README.md")).Where(l => l.StartsWith("fw1: carp1 ", StringComparison.Ordinal) || l.StartsWith("fw2: carp1 ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, lines.Length);

        var fw1 = Assert.Single(CarpdConfiguration.Parse(lines[0]["fw1: ".Length..] + "\n", "README.md").Interfaces);
        var fw2 = Assert.Single(CarpdConfiguration.Parse(lines[1]["fw2: ".Length..] + "\n", "README.md").Interfaces);

        Assert.Equal(IPAddress.Parse("192.0.2.12"), fw1.Peer);
        Assert.Equal(IPAddress.Parse("192.0.2.11"), fw2.Peer);
        Assert.Equal(128, fw2.AdvSkew);
        Assert.Equal(fw1.Key, fw2.Key);
    }

    [Fact]
    public void A_peer_that_is_not_an_address_is_refused_before_it_reaches_the_engine()
    {
        var dto = new InterfaceChangeDto { Name = "carp1", Peer = "192.0.2.2/24" };

        var ex = Assert.Throws<CarpException>(() => ControlMapper.FromDto(dto));

        Assert.Equal(CarpErrorCode.InvalidAddress, ex.Code);
        Assert.Contains("peer", ex.Message, StringComparison.Ordinal);
    }
}
