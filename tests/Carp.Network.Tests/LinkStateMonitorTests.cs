using System.Threading.Channels;
using Carp.Linux;

namespace Carp.Network.Tests;

public sealed class LinkStateMonitorTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Sees_carrier_loss_when_the_veth_peer_goes_down_and_back_up()
    {
        using var net = NetworkPrerequisites.Network(1);
        TestNode node = net.Nodes[0];
        var events = Channel.CreateUnbounded<LinkStateChangedEventArgs>();
        using LinkStateMonitor monitor = NetworkNamespace.Run(node.Namespace, () => new LinkStateMonitor());
        monitor.LinkChanged += (_, e) => events.Writer.TryWrite(e);
        monitor.Start();

        net.SetBridgePort(node, up: false);
        LinkStateChangedEventArgs down = await NextFor(events, "eth0");
        Assert.False(down.IsUp);
        Assert.False(down.Removed);
        Assert.True(down.Flags.HasFlag(LinkFlags.Up));        // still administratively up …
        Assert.False(down.Flags.HasFlag(LinkFlags.LowerUp));  // … but without carrier

        net.SetBridgePort(node, up: true);
        LinkStateChangedEventArgs up = await NextFor(events, "eth0");
        Assert.True(up.IsUp);
        Assert.Equal(down.Index, up.Index);
    }

    [Fact]
    public async Task Reports_administrative_down_new_links_and_removal()
    {
        using var net = NetworkPrerequisites.Network(1);
        TestNode node = net.Nodes[0];
        var events = Channel.CreateUnbounded<LinkStateChangedEventArgs>();
        using LinkStateMonitor monitor = NetworkNamespace.Run(node.Namespace, () => new LinkStateMonitor());
        monitor.LinkChanged += (_, e) => events.Writer.TryWrite(e);
        monitor.Start();

        NetworkNamespace.Run(node.Namespace, () =>
        {
            using var nl = new NetlinkRouteSocket();
            nl.SetLinkUp("eth0", false);
        });
        Assert.False((await NextFor(events, "eth0")).IsUp);

        net.Ip("-n", node.Namespace, "link", "set", "eth0", "up");
        Assert.True((await NextFor(events, "eth0")).IsUp);

        net.Ip("-n", node.Namespace, "link", "add", "carp9", "link", "eth0", "type", "macvlan", "mode", "private");
        LinkStateChangedEventArgs created = await NextFor(events, "carp9");
        Assert.False(created.IsUp);
        Assert.False(created.Removed);

        net.Ip("-n", node.Namespace, "link", "del", "carp9");
        LinkStateChangedEventArgs removed = await NextFor(events, "carp9");
        Assert.True(removed.Removed);
        Assert.False(removed.IsUp);
    }

    [Fact]
    public async Task Initial_state_can_be_raised_and_Dispose_stops_promptly()
    {
        using var net = NetworkPrerequisites.Network(1);
        TestNode node = net.Nodes[0];
        var seen = new TaskCompletionSource<LinkStateChangedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        var monitor = NetworkNamespace.Run(node.Namespace, () => new LinkStateMonitor(raiseInitialState: true));
        monitor.LinkChanged += (_, e) =>
        {
            if (e.Name == "eth0")
            {
                seen.TrySetResult(e);
            }
        };
        monitor.Start();
        LinkStateChangedEventArgs eth0 = await seen.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.True(eth0.IsUp);
        Assert.True(monitor.Snapshot[eth0.Index]);

        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        monitor.Dispose();
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(2), $"Dispose took {stopwatch.Elapsed}");
        monitor.Dispose(); // idempotent
    }

    [Fact]
    public async Task An_address_change_names_its_link_and_its_address()
    {
        using var net = NetworkPrerequisites.Network(1);
        TestNode node = net.Nodes[0];
        var events = Channel.CreateUnbounded<AddressChangedEventArgs>();
        using LinkStateMonitor monitor = NetworkNamespace.Run(node.Namespace, () => new LinkStateMonitor());
        monitor.AddressesChanged += (_, e) => events.Writer.TryWrite(e);
        monitor.Start();

        net.Ip("-n", node.Namespace, "addr", "add", "198.51.100.7/32", "dev", "eth0");
        net.Ip("-n", node.Namespace, "addr", "add", "2001:db8:7::7/128", "dev", "eth0", "nodad");

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(Timeout);
        var seen = new List<AddressChangedEventArgs>();
        while (!seen.Any(e => System.Net.IPAddress.Parse("2001:db8:7::7").Equals(e.Address)))
        {
            seen.Add(await events.Reader.ReadAsync(cts.Token));
        }

        Assert.Contains(seen, e => e.LinkName == "eth0" && System.Net.IPAddress.Parse("198.51.100.7").Equals(e.Address));
        Assert.All(seen, e => Assert.Equal("eth0", e.LinkName));
    }

    private static async Task<LinkStateChangedEventArgs> NextFor(Channel<LinkStateChangedEventArgs> events, string name)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(Timeout);
        while (true)
        {
            LinkStateChangedEventArgs e = await events.Reader.ReadAsync(cts.Token);
            if (e.Name == name)
            {
                return e;
            }
        }
    }
}
