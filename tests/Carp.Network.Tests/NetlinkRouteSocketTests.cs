using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using Carp.Linux;

namespace Carp.Network.Tests;

public sealed class NetlinkRouteSocketTests
{
    [Fact]
    public void Add_list_remove_IPv4_and_IPv6_inside_a_namespace()
    {
        using var net = NetworkPrerequisites.Network(1);
        TestNode node = net.Nodes[0];
        var v4 = IPAddress.Parse("198.51.100.7");
        var v6 = IPAddress.Parse("2001:db8:1::7");

        NetworkNamespace.Run(node.Namespace, () =>
        {
            using var nl = new NetlinkRouteSocket();
            int index = nl.GetLinkIndex("eth0");
            Assert.True(nl.AddAddress(index, v4, 24));
            Assert.True(nl.AddAddress(index, v6, 64));

            IReadOnlyList<LinkAddress> addresses = nl.GetAddresses(index);
            Assert.Contains(addresses, a => a.Address.Equals(v4) && a.PrefixLength == 24 && a.InterfaceIndex == index);
            LinkAddress six = Assert.Single(addresses, a => a.Address.Equals(v6));
            Assert.Equal(64, six.PrefixLength);
            Assert.False(six.IsTentative); // IFA_F_NODAD: usable at once
            Assert.Contains(addresses, a => a.Address.Equals(node.IPv4)); // the fixture's own address
        });

        string shown = net.Ip("-n", node.Namespace, "addr", "show", "dev", "eth0").StandardOutput;
        Assert.Contains("inet 198.51.100.7/24", shown);
        Assert.Contains("inet6 2001:db8:1::7/64", shown);
        Assert.DoesNotContain("tentative", shown.Split('\n').Single(l => l.Contains("2001:db8:1::7")));

        NetworkNamespace.Run(node.Namespace, () =>
        {
            using var nl = new NetlinkRouteSocket();
            int index = nl.GetLinkIndex("eth0");
            Assert.True(nl.RemoveAddress(index, v4, 24));
            Assert.True(nl.RemoveAddress(index, v6, 64));
            IReadOnlyList<LinkAddress> addresses = nl.GetAddresses(index);
            Assert.DoesNotContain(addresses, a => a.Address.Equals(v4) || a.Address.Equals(v6));
        });

        shown = net.Ip("-n", node.Namespace, "addr", "show", "dev", "eth0").StandardOutput;
        Assert.DoesNotContain("198.51.100.7", shown);
        Assert.DoesNotContain("2001:db8:1::7", shown);
        Assert.Contains("192.0.2.11/24", shown);
    }

    [Fact]
    public void Add_and_remove_are_idempotent()
    {
        using var net = NetworkPrerequisites.Network(1);
        NetworkNamespace.Run(net.Nodes[0].Namespace, () =>
        {
            using var nl = new NetlinkRouteSocket();
            int index = nl.GetLinkIndex("eth0");
            foreach ((IPAddress address, int prefix) in new[] { (IPAddress.Parse("203.0.113.9"), 24), (IPAddress.Parse("2001:db8:2::9"), 64) })
            {
                Assert.True(nl.AddAddress(index, address, prefix));
                Assert.False(nl.AddAddress(index, address, prefix)); // EEXIST is success
                Assert.Single(nl.GetAddresses(index), a => a.Address.Equals(address));
                Assert.True(nl.RemoveAddress(index, address, prefix));
                Assert.False(nl.RemoveAddress(index, address, prefix)); // EADDRNOTAVAIL is success
                Assert.DoesNotContain(nl.GetAddresses(index), a => a.Address.Equals(address));
            }
        });
    }

    [Fact]
    public void Kernel_errors_carry_the_errno_name()
    {
        using var net = NetworkPrerequisites.Network(1);
        NetworkNamespace.Run(net.Nodes[0].Namespace, () =>
        {
            using var nl = new NetlinkRouteSocket();
            var ex = Assert.Throws<NetlinkException>(() => nl.AddAddress(4242, IPAddress.Parse("192.0.2.99"), 24));
            Assert.Equal("ENODEV", ex.ErrnoName);
            Assert.Equal(19, ex.Errno);
            Assert.Contains("ENODEV", ex.Message);

            Assert.Null(nl.GetLink("nosuchif0"));
            Assert.Equal("ENODEV", Assert.Throws<NetlinkException>(() => nl.GetLinkIndex("nosuchif0")).ErrnoName);
            Assert.Equal("ENODEV", Assert.Throws<NetlinkException>(() => nl.SetLinkUp("nosuchif0", true)).ErrnoName);
        });
    }

    [Fact]
    public void GetLink_reports_index_mac_flags_mtu_and_kind()
    {
        using var net = NetworkPrerequisites.Network(1);
        TestNode node = net.Nodes[0];
        string ipLink = net.Ip("-n", node.Namespace, "link", "show", "dev", "eth0").StandardOutput;

        NetworkNamespace.Run(node.Namespace, () =>
        {
            using var nl = new NetlinkRouteSocket();
            LinkInfo eth0 = nl.GetLink("eth0") ?? throw new InvalidOperationException("eth0 missing");
            Assert.Equal("eth0", eth0.Name);
            Assert.Equal("veth", eth0.Kind);
            Assert.Equal(1500, eth0.Mtu);
            Assert.True(eth0.IsUp);
            Assert.True(eth0.Flags.HasFlag(LinkFlags.LowerUp));
            Assert.StartsWith(eth0.Index.ToString(CultureInfo.InvariantCulture) + ": eth0@", ipLink);
            Assert.Contains("link/ether " + Colon(eth0.MacAddress), ipLink);
            Assert.Equal(eth0, nl.GetLink(eth0.Index));

            IReadOnlyList<LinkInfo> all = nl.GetLinks();
            Assert.Equal(["eth0", "lo"], all.Select(l => l.Name).Order());
            Assert.True(all.Single(l => l.Name == "lo").Flags.HasFlag(LinkFlags.Loopback));
        });
    }

    [Fact]
    public void Macvlan_with_the_virtual_mac_is_created_brought_up_and_deleted()
    {
        using var net = NetworkPrerequisites.Network(1);
        TestNode node = net.Nodes[0];
        var vmac = PhysicalAddress.Parse("00-00-5E-00-01-07");

        int lowerIndex = NetworkNamespace.Run(node.Namespace, () =>
        {
            using var nl = new NetlinkRouteSocket();
            nl.CreateMacvlan("carp7", "eth0", vmac);
            LinkInfo carp7 = nl.GetLink("carp7") ?? throw new InvalidOperationException("carp7 missing");
            Assert.Equal(vmac, carp7.MacAddress);
            Assert.Equal("macvlan", carp7.Kind);
            Assert.False(carp7.IsAdministrativelyUp);

            nl.SetLinkUp("carp7", true);
            Assert.True(nl.GetLink("carp7")!.IsUp);

            var duplicate = Assert.Throws<NetlinkException>(() => nl.CreateMacvlan("carp7", "eth0", vmac));
            Assert.Equal("EEXIST", duplicate.ErrnoName);
            return nl.GetLinkIndex("eth0");
        });

        string details = net.Ip("-n", node.Namespace, "-d", "link", "show", "dev", "carp7").StandardOutput;
        Assert.Contains("carp7@eth0", details);
        Assert.Contains("link/ether 00:00:5e:00:01:07", details);
        Assert.Contains("macvlan mode private", details);
        Assert.Contains("state UP", details);

        NetworkNamespace.Run(node.Namespace, () =>
        {
            using var nl = new NetlinkRouteSocket();
            Assert.Equal(lowerIndex, nl.GetLink("carp7")!.ParentIndex);
            nl.SetLinkUp("carp7", false);
            Assert.False(nl.GetLink("carp7")!.IsAdministrativelyUp);
            Assert.True(nl.DeleteLink("carp7"));
            Assert.False(nl.DeleteLink("carp7"));
            Assert.Null(nl.GetLink("carp7"));
        });

        Assert.False(Command.Run("ip", "-n", node.Namespace, "link", "show", "dev", "carp7").Succeeded);
    }

    [Fact]
    public void Netlink_address_change_costs_microseconds()
    {
        using var net = NetworkPrerequisites.Network(1);
        const int Iterations = 2000;
        double perOp = NetworkNamespace.Run(net.Nodes[0].Namespace, () =>
        {
            using var nl = new NetlinkRouteSocket();
            int index = nl.GetLinkIndex("eth0");
            var vip = IPAddress.Parse("198.51.100.200");
            for (int i = 0; i < 100; i++)
            {
                nl.AddAddress(index, vip, 24);
                nl.RemoveAddress(index, vip, 24);
            }

            var sw = Stopwatch.StartNew();
            for (int i = 0; i < Iterations; i++)
            {
                nl.AddAddress(index, vip, 24);
                nl.RemoveAddress(index, vip, 24);
            }

            sw.Stop();
            return sw.Elapsed.TotalMilliseconds / (2 * Iterations);
        });

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"MEASURE netlink RTM_NEWADDR/RTM_DELADDR: {perOp.ToString("F4", CultureInfo.InvariantCulture)} ms per operation ({2 * Iterations} operations)");
        Assert.True(perOp < 1.0, $"netlink address change took {perOp} ms per operation");
    }

    private static string Colon(PhysicalAddress mac) =>
        string.Join(':', mac.GetAddressBytes().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
}
