using Carp.Linux;

namespace Carp.Network.Tests;

public sealed class NetworkNamespaceTests
{
    [Fact]
    public void Enter_moves_only_the_current_thread_and_Dispose_brings_it_back()
    {
        using var net = NetworkPrerequisites.Network(1);
        string ns = net.Nodes[0].Namespace;
        string inode = net.Exec(ns, "readlink", "/proc/self/ns/net").EnsureSuccess().StandardOutput.Trim();

        NetworkNamespace.Run(ns, () => Assert.Equal(inode, NetworkNamespace.CurrentThreadNamespaceId));

        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                string before = NetworkNamespace.CurrentThreadNamespaceId;
                using (NetworkNamespace.Enter(ns))
                {
                    Assert.Equal(inode, NetworkNamespace.CurrentThreadNamespaceId);
                    using var nl = new NetlinkRouteSocket();
                    Assert.Equal(["eth0", "lo"], nl.GetLinks().Select(l => l.Name).Order());
                }

                Assert.Equal(before, NetworkNamespace.CurrentThreadNamespaceId);
                Assert.NotEqual(inode, before);
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        });
        thread.Start();
        thread.Join();
        Assert.Null(failure);
        Assert.NotEqual(inode, NetworkNamespace.CurrentThreadNamespaceId);
    }

    [Fact]
    public void Adapter_worker_threads_leave_the_namespace_they_were_started_from()
    {
        using var net = NetworkPrerequisites.Network(1);
        string ns = net.Nodes[0].Namespace;
        string? workerNamespace = null;
        NetworkNamespace.Run(ns, () =>
        {
            Thread worker = NetworkNamespace.StartWorker("probe", () => workerNamespace = NetworkNamespace.CurrentThreadNamespaceId);
            worker.Join();
        });
        Assert.Equal(NetworkNamespace.ProcessNamespaceId, workerNamespace);
    }

    [Fact]
    public void Commands_run_inside_a_namespace_and_time_out()
    {
        using var net = NetworkPrerequisites.Network(1);
        string ns = net.Nodes[0].Namespace;
        CommandResult links = net.Exec(ns, "ip", "-o", "link");
        Assert.True(links.Succeeded);
        Assert.Contains("eth0@", links.StandardOutput);
        Assert.Equal(3, net.Exec(ns, "sh", "-c", "exit 3").ExitCode);
        Assert.Throws<TimeoutException>(() => net.Exec(ns, TimeSpan.FromMilliseconds(300), "sleep", "30"));
    }

    [Fact]
    public void A_socket_keeps_the_namespace_it_was_created_in()
    {
        using var net = NetworkPrerequisites.Network(1);
        NetlinkRouteSocket nl = NetworkNamespace.Run(net.Nodes[0].Namespace, () => new NetlinkRouteSocket());
        using (nl)
        {
            // Used from this (root-namespace) thread, it still sees the node's links only.
            Assert.Equal(["eth0", "lo"], nl.GetLinks().Select(l => l.Name).Order());
        }
    }

    [Fact]
    public async Task Thread_pool_threads_are_refused()
    {
        using var net = NetworkPrerequisites.Network(1);
        string ns = net.Nodes[0].Namespace;
        await Task.Run(() => Assert.Throws<InvalidOperationException>(() => NetworkNamespace.Enter(ns)), TestContext.Current.CancellationToken);
    }

    [Fact]
    public void Unknown_namespace_fails_cleanly()
    {
        var ex = Assert.Throws<IOException>(() => NetworkNamespace.Run("carpt-does-not-exist", () => 0));
        Assert.Contains("ENOENT", ex.Message);
        Assert.Throws<ArgumentException>(() => NetworkNamespace.PathOf("../etc"));
    }

    [Fact]
    public void Sysctl_follows_the_thread_namespace_and_EnsureArpIgnore_sets_all_and_the_interface()
    {
        using var net = NetworkPrerequisites.Network(1);
        string ns = net.Nodes[0].Namespace;
        string rootAll = LinuxSysctl.Read("net.ipv4.conf.all.arp_ignore");

        NetworkNamespace.Run(ns, () =>
        {
            Assert.Equal(0, LinuxSysctl.ReadInt32("net.ipv4.conf.eth0.arp_ignore"));
            Assert.True(LinuxSysctl.EnsureArpIgnore("eth0"));
            Assert.False(LinuxSysctl.EnsureArpIgnore("eth0"));
            Assert.Equal(1, LinuxSysctl.ReadInt32("net.ipv4.conf.all.arp_ignore"));
            Assert.Equal(1, LinuxSysctl.ReadInt32("net/ipv4/conf/eth0/arp_ignore"));
        });

        Assert.Equal("1", net.Exec(ns, "cat", "/proc/sys/net/ipv4/conf/all/arp_ignore").EnsureSuccess().StandardOutput.Trim());
        Assert.Equal("1", net.Exec(ns, "cat", "/proc/sys/net/ipv4/conf/eth0/arp_ignore").EnsureSuccess().StandardOutput.Trim());
        Assert.Equal(rootAll, LinuxSysctl.Read("net.ipv4.conf.all.arp_ignore")); // the host is untouched
    }

    [Fact]
    public void Sysctl_keys_map_to_proc_sys_paths()
    {
        Assert.Equal("/proc/sys/net/ipv4/conf/all/arp_ignore", LinuxSysctl.PathOf("net.ipv4.conf.all.arp_ignore"));
        Assert.Equal("/proc/sys/net/ipv4/conf/eth0.100/arp_ignore", LinuxSysctl.PathOf("net/ipv4/conf/eth0.100/arp_ignore"));
        Assert.Throws<ArgumentException>(() => LinuxSysctl.PathOf("net/../../etc/passwd"));
    }
}
