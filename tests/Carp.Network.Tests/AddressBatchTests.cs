using System.Globalization;
using System.Net;
using Carp.Engine.Core;
using Carp.Linux;

namespace Carp.Network.Tests;

/// <summary>
/// A timer pass's takeovers add their addresses in one netlink batch (docs/ARCHITECTURE.md#address-batches). A batch with a
/// bad address adds all the others and reports that one on its own: each RTM_NEWADDR is its own request to the kernel.
/// </summary>
public sealed class AddressBatchTests
{
    [Fact]
    public void A_batch_of_255_addresses_is_added_and_the_guardian_knows_every_one()
    {
        using var net = NetworkPrerequisites.Network(1);
        var node = net.Nodes[0];
        var configs = Enumerable.Range(1, 255).Select(v => new VirtualHostConfig
        {
            Name = "carp" + v.ToString(CultureInfo.InvariantCulture),
            Vhid = (byte)v,
            CarpDev = "eth0",
            MacMode = MacMode.Real,
            Addresses = [CarpAddress.Parse(v <= 254 ? $"198.51.100.{v}/32" : "203.0.113.1/32")],
        }).ToArray();
        var failures = new List<string>();

        // Disposed without releasing anything: the guardian takes away what it was told about, i.e. all 255.
        WithWireThenDispose(node, wire =>
        {
            // The wire's start-up rehearsal of a batch (AddressBatch.Rehearse) added nothing anywhere, and its refused
            // add is not reported as a failure of the first real batch below.
            Assert.DoesNotContain("192.0.2.1/32", net.Ip("-n", node.Namespace, "-o", "addr", "show").StandardOutput);
            foreach (var config in configs)
            {
                wire.PrepareInterface(config);
            }

            Assert.True(wire.BeginAddressBatch());
            foreach (var config in configs)
            {
                wire.SetAddresses(config, config.Addresses, present: true);
            }

            // From the sixteenth address on, the batch's own thread adds them while the pass goes on: all are up before the flush.
            using (var nl = new NetlinkRouteSocket())
            {
                var index = nl.GetLinkIndex("eth0");
                int Up() => nl.GetAddresses(index).Count(a => configs.Any(c => c.Addresses[0].Address.Equals(a.Address)));
                Assert.True(Scenarios.Scenario.Eventually(() => Up() == configs.Length, TimeSpan.FromSeconds(10)),
                    $"{Up()} of the {configs.Length} held addresses were added before the flush");
            }

            wire.FlushAddressBatch((config, error) => failures.Add($"{config.Name}: {error}"));
            var shown = net.Ip("-n", node.Namespace, "-4", "-o", "addr", "show", "dev", "eth0").StandardOutput;
            Assert.Empty(failures);
            Assert.All(configs, c => Assert.Contains($" {c.Addresses[0]} ", shown));
        });

        var after = net.Ip("-n", node.Namespace, "-4", "-o", "addr", "show", "dev", "eth0").StandardOutput;
        Assert.DoesNotContain("198.51.100.", after);
        Assert.DoesNotContain("203.0.113.1/", after);
        Assert.Contains("192.0.2.11/24", after);
    }

    [Fact]
    public void A_batch_below_the_worker_threshold_waits_for_the_flush()
    {
        using var net = NetworkPrerequisites.Network(1);
        var node = net.Nodes[0];
        var config = RealMacHost([.. Enumerable.Range(1, AddressBatch.WorkerThreshold - 1).Select(i => $"198.51.100.{i}/32")]);
        var failures = new List<string>();

        WithWireThenDispose(node, wire =>
        {
            wire.PrepareInterface(config);
            Assert.True(wire.BeginAddressBatch());
            wire.SetAddresses(config, config.Addresses, present: true);

            // A single failover's few addresses are added on the engine's thread at the flush: nothing is there before it.
            Assert.DoesNotContain("198.51.100.", net.Ip("-n", node.Namespace, "-4", "addr", "show", "dev", "eth0").StandardOutput);
            wire.FlushAddressBatch((c, error) => failures.Add($"{c.Name}: {error}"));
            var shown = net.Ip("-n", node.Namespace, "-4", "-o", "addr", "show", "dev", "eth0").StandardOutput;
            Assert.Empty(failures);
            Assert.All(config.Addresses, a => Assert.Contains($" {a} ", shown));
            wire.ReleaseInterface(config);
        });
    }

    [Fact]
    public void A_bad_address_is_reported_on_its_own_and_the_others_are_added()
    {
        using var net = NetworkPrerequisites.Network(1);
        NetworkNamespace.Run(net.Nodes[0].Namespace, () =>
        {
            using var nl = new NetlinkRouteSocket();
            var index = nl.GetLinkIndex("eth0");
            // ff02::1234 is multicast: the kernel refuses it as an interface address (EADDRNOTAVAIL).
            AddressRequest[] requests =
            [
                new(index, IPAddress.Parse("198.51.100.1"), 32),
                new(index, IPAddress.Parse("ff02::1234"), 128),
                new(index, IPAddress.Parse("2001:db8:5::1"), 128),
                new(index, IPAddress.Parse("198.51.100.1"), 32), // already there by then: counts as added
            ];
            var results = nl.AddAddresses(requests);
            Assert.Null(results[0]);
            var error = Assert.IsType<NetlinkException>(results[1]);
            Assert.Contains("ff02::1234", error.Message);
            Assert.Null(results[2]);
            Assert.Null(results[3]);
            var present = nl.GetAddresses(index).Select(a => a.Address).ToArray();
            Assert.Contains(IPAddress.Parse("198.51.100.1"), present);
            Assert.Contains(IPAddress.Parse("2001:db8:5::1"), present);
            Assert.DoesNotContain(IPAddress.Parse("ff02::1234"), present);

            // A request after the batch still gets its own answer: the batch left no reply behind.
            Assert.False(nl.AddAddress(index, IPAddress.Parse("198.51.100.1"), 32));
        });
    }

    [Fact]
    public void The_guardian_knows_a_prepared_interfaces_addresses_before_a_takeover_and_after_a_step_down()
    {
        using var net = NetworkPrerequisites.Network(1);
        var node = net.Nodes[0];
        var config = RealMacHost("198.51.100.1/32", "198.51.100.2/32");

        WithWireThenDispose(node, wire =>
        {
            wire.PrepareInterface(config);
            wire.SetAddresses(config, config.Addresses, present: true); // MASTER
            wire.SetAddresses(config, config.Addresses, present: false); // BACKUP again
            Assert.DoesNotContain("198.51.100.", net.Ip("-n", node.Namespace, "-4", "addr", "show", "dev", "eth0").StandardOutput);

            // Had the engine died between adding an address and telling the guardian, the guardian would still
            // know it: it has known both since the interface was prepared, and a step-down does not make it forget.
            net.Ip("-n", node.Namespace, "addr", "add", "198.51.100.2/32", "dev", "eth0");
        });

        var after = net.Ip("-n", node.Namespace, "-4", "-o", "addr", "show", "dev", "eth0").StandardOutput;
        Assert.DoesNotContain("198.51.100.2/", after);
        Assert.Contains("192.0.2.11/24", after);
    }

    [Fact]
    public void A_changed_address_list_makes_the_guardian_forget_the_old_address_and_know_the_new_one()
    {
        using var net = NetworkPrerequisites.Network(1);
        var node = net.Nodes[0];
        var old = RealMacHost("198.51.100.1/32");
        var changed = old with { Addresses = [CarpAddress.Parse("198.51.100.3/32")] };

        WithWireThenDispose(node, wire =>
        {
            wire.PrepareInterface(old);
            wire.AddressesReconfigured(old, changed);
            // Someone else's address now, and the new VIP as if a takeover had just added it.
            net.Ip("-n", node.Namespace, "addr", "add", "198.51.100.1/32", "dev", "eth0");
            net.Ip("-n", node.Namespace, "addr", "add", "198.51.100.3/32", "dev", "eth0");
        });

        var after = net.Ip("-n", node.Namespace, "-4", "-o", "addr", "show", "dev", "eth0").StandardOutput;
        Assert.Contains("198.51.100.1/32", after);
        Assert.DoesNotContain("198.51.100.3/", after);
    }

    [Fact]
    public void Adding_its_own_virtual_addresses_raises_no_address_change_and_another_address_does()
    {
        using var net = NetworkPrerequisites.Network(1);
        var node = net.Nodes[0];
        var config = RealMacHost("198.51.100.1/32");

        // No IPv6 on eth0: its link-local address finishing DAD would be a change of eth0's addresses of its own.
        net.Ip("-n", node.Namespace, "link", "set", "lo", "up");
        Assert.Equal(0, net.Exec(node.Namespace, "sysctl", "-qw", "net.ipv6.conf.eth0.disable_ipv6=1").ExitCode);
        NetworkNamespace.Run(node.Namespace, () =>
        {
            using var wire = new LinuxWire();
            var changes = new System.Collections.Concurrent.ConcurrentQueue<string?>();
            using var changed = new SemaphoreSlim(0);
            wire.AddressesChanged += link =>
            {
                changes.Enqueue(link);
                changed.Release();
            };
            wire.PrepareInterface(config);
            wire.SetAddresses(config, config.Addresses, present: true);
            // The kernel notifies in order: once lo's change is seen, the virtual address's has been read before it.
            net.Ip("-n", node.Namespace, "addr", "add", "203.0.113.9/32", "dev", "lo");
            while (!changes.Contains("lo"))
            {
                Assert.True(changed.Wait(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken), "lo's new address raised no change");
            }

            Assert.DoesNotContain("eth0", changes);
            wire.ReleaseInterface(config);
        });
    }

    /// <summary>
    /// Runs <paramref name="act"/> on a new wire in <paramref name="node"/>'s namespace, then disposes the wire without
    /// releasing anything: its guardian takes away what it knows.
    /// </summary>
    private static void WithWireThenDispose(TestNode node, Action<LinuxWire> act) => NetworkNamespace.Run(node.Namespace, () =>
    {
        var wire = new LinuxWire();
        try
        {
            act(wire);
        }
        finally
        {
            wire.Dispose();
        }
    });

    /// <summary>Vhid 1 on eth0 in real-MAC mode: its addresses go on eth0 itself.</summary>
    private static VirtualHostConfig RealMacHost(params string[] addresses) => new()
    {
        Name = "carp1",
        Vhid = 1,
        CarpDev = "eth0",
        MacMode = MacMode.Real,
        Addresses = [.. addresses.Select(CarpAddress.Parse)],
    };
}
