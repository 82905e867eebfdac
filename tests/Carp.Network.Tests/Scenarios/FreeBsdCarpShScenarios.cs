using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;

namespace Carp.Network.Tests.Scenarios;

/// <summary>
/// FreeBSD's tests/sys/netinet/carp.sh (docs/protocol.md#scenarios-freebsd) with our engine: a bridge namespace with
/// 192.0.2.4/24 and 2001:db8::4/64 on br0 ("one"), two node namespaces ("two", "three").
/// </summary>
public sealed class FreeBsdCarpShScenarios
{
    private static readonly TimeSpan Election = TimeSpan.FromSeconds(8);

    private static VirtualHostConfig Vhid1(string address, byte advSkew = 0, string? pass = null) => new()
    {
        Name = "carp1",
        Vhid = 1,
        CarpDev = "eth0",
        AdvSkew = advSkew,
        Key = CarpKey.FromPassphrase(pass),
        Addresses = [CarpAddress.Parse(address)],
    };

    /// <summary>
    /// FreeBSD's wait_for_carp: waits until one of the two is MASTER, then requires that the other
    /// is not — also after it has heard two more adverts of the master.
    /// </summary>
    private static (EngineNode Master, EngineNode Backup) WaitForCarp(Scenario s, EngineNode a, EngineNode b)
    {
        static bool IsMaster(CarpEvent e) => e is CarpStateChangedEvent { NewState: CarpState.Master };
        var either = Task.WhenAny(a.Events.When(IsMaster), b.Events.When(IsMaster));
        Assert.True(either.Wait(Election, TestContext.Current.CancellationToken), "neither node became MASTER");
        var (master, backup) = a.State() == CarpState.Master ? (a, b) : (b, a);
        long received = backup.Stats.IPackets + backup.Stats.IPackets6;
        Assert.True(Scenario.Eventually(() => backup.Stats.IPackets + backup.Stats.IPackets6 >= received + 2, TimeSpan.FromSeconds(5)),
            $"{backup.Label} did not hear the master");
        Assert.Equal(CarpState.Master, master.State());
        Assert.Equal(CarpState.Backup, backup.State());
        Assert.Single(master.Transitions(), t => t.Item.NewState == CarpState.Master);
        Assert.DoesNotContain(backup.Transitions(), t => t.Item.NewState == CarpState.Master);
        s.Log("test", $"{master.Label} is MASTER, {backup.Label} BACKUP");
        return (master, backup);
    }

    [Fact]
    public void Basic_v4_one_master_and_the_VIP_answers_ping()
    {
        using var s = new Scenario();
        var two = s.Engine("two", s.Node(1).Namespace);
        var three = s.Engine("three", s.Node(2).Namespace);
        two.Create(Vhid1("192.0.2.1/24"));
        three.Create(Vhid1("192.0.2.1/24"));

        var (master, backup) = WaitForCarp(s, two, three);

        var ping = s.Exec(s.Bridge, "ping", "-c", "3", "-i", "0.2", "-W", "2", "192.0.2.1");
        Assert.True(ping.Succeeded, ping.StandardOutput + ping.StandardError);
        Assert.Contains("3 received", ping.StandardOutput);
        // The VIP lives only on the master's carp1, and the bridge reaches it through the virtual MAC.
        Assert.Equal(["carp1"], s.InterfacesWith(master.Namespace, "192.0.2.1"));
        Assert.Empty(s.InterfacesWith(backup.Namespace, "192.0.2.1"));
        var neigh = s.Net.Ip("-n", s.Bridge, "neigh", "show", "192.0.2.1").StandardOutput;
        Assert.Contains("00:00:5e:00:01:01", neigh);
    }

    [Fact]
    public void Basic_v6_one_master_and_the_VIP_answers_ping()
    {
        using var s = new Scenario();
        var two = s.Engine("two", s.Node(1).Namespace);
        var three = s.Engine("three", s.Node(2).Namespace);
        two.Create(Vhid1("2001:db8::1/64"));
        three.Create(Vhid1("2001:db8::1/64"));

        var (master, backup) = WaitForCarp(s, two, three);

        var ping = s.Exec(s.Bridge, "ping", "-6", "-c", "3", "-i", "0.2", "-W", "2", "2001:db8::1");
        Assert.True(ping.Succeeded, ping.StandardOutput + ping.StandardError);
        Assert.Equal(["carp1"], s.InterfacesWith(master.Namespace, "2001:db8::1"));
        Assert.Empty(s.InterfacesWith(backup.Namespace, "2001:db8::1"));
        Assert.True(master.Stats.OPackets6 > 0);
        Assert.Equal(0, master.Stats.OPackets);
    }

    [Fact]
    public void Negative_demotion_clamps_at_zero_and_never_makes_two_masters()
    {
        using var s = new Scenario();
        var preempt = CarpSysctls.Default with { Preempt = true };
        var watch = s.Watch(s.Node(1));
        var one = s.Engine("one", s.Node(1).Namespace, preempt);
        var two = s.Engine("two", s.Node(2).Namespace, preempt);
        one.Create(Vhid1("192.0.2.254/24", 0, "foobar"));
        two.Create(Vhid1("192.0.2.254/24", 100, "foobar"));
        var (master, _) = WaitForCarp(s, one, two);
        Assert.Same(one, master);

        long changed = Clock.Now;
        var sysctls = one.Service.SetSysctl("demotion", -1);
        Assert.Equal(-1, sysctls.Demotion);
        Assert.Equal(0, one.Status().AdvertisedAdvSkew);

        // FreeBSD waits 3 s: here, three adverts of "one" after the change (about 3 s).
        watch.WaitCount(3, TimeSpan.FromSeconds(3), changed);
        Assert.Empty(one.Transitions(changed));
        Assert.Empty(two.Transitions(changed));
        Assert.Equal(CarpState.Master, one.State());
        Assert.Equal(CarpState.Backup, two.State());
        var after = watch.Adverts.All(_ => true, changed);
        Assert.All(after, a => Assert.Equal(0, a.Item.AdvSkew));
        s.Measure($"negative_demotion: {after.Count} adverts after demotion -1, all advskew 0, no transition");
    }

    [Fact]
    public void Nd6_ns_source_mac_only_the_master_uses_the_VIP_and_with_the_virtual_MAC()
    {
        using var s = new Scenario();
        var master = s.Engine("master", s.Node(1).Namespace);
        master.Create(Vhid1("2001:db8::1/64", 0));
        master.WaitState(CarpState.Master, Election);
        var backup = s.Engine("backup", s.Node(2).Namespace);
        backup.Create(Vhid1("2001:db8::1/64", 100));
        backup.WaitState(CarpState.Backup, Election);

        var fromBackup = s.Exec(backup.Namespace, "ping", "-6", "-c", "1", "-W", "1", "-I", "2001:db8::1", "2001:db8::4");
        Assert.False(fromBackup.Succeeded, "the BACKUP could send from the VIP: " + fromBackup.StandardOutput);
        Assert.Equal(2, fromBackup.ExitCode);

        var fromMaster = s.Exec(master.Namespace, "ping", "-6", "-c", "1", "-W", "2", "-I", "2001:db8::1", "2001:db8::4");
        Assert.True(fromMaster.Succeeded, fromMaster.StandardOutput + fromMaster.StandardError);

        var neigh = s.Net.Ip("-n", s.Bridge, "-6", "neigh", "show", "2001:db8::1").StandardOutput;
        s.Log("test", "bridge neighbours: " + neigh.Trim());
        Assert.Contains("lladdr 00:00:5e:00:01:01", neigh);
        Assert.Equal(CarpState.Backup, backup.State());
    }

    [Fact]
    public void Switch_forced_backup_then_master_succeeds_and_states_follow()
    {
        using var s = new Scenario(1);
        var node = s.Engine("node", s.Node(1).Namespace);
        node.Create(Vhid1("192.0.2.1/24", 100));
        node.WaitState(CarpState.Backup, Election);

        var status = node.Service.SetInterface("carp1", new InterfaceChange { State = CarpState.Backup });
        Assert.Equal(CarpState.Backup, status.State);

        long forced = Clock.Now;
        status = node.Service.SetInterface("carp1", new InterfaceChange { State = CarpState.Master });
        Assert.Equal(CarpState.Master, status.State);
        var toMaster = node.WaitState(CarpState.Master, TimeSpan.FromSeconds(1), forced);
        Assert.Equal(TransitionReason.Forced, toMaster.Item.Reason);
        Assert.Equal(["carp1"], s.InterfacesWith(node.Namespace, "192.0.2.1"));

        forced = Clock.Now;
        status = node.Service.SetInterface("carp1", new InterfaceChange { State = CarpState.Backup });
        Assert.Equal(CarpState.Backup, status.State);
        Assert.Equal(TransitionReason.Forced, node.WaitState(CarpState.Backup, TimeSpan.FromSeconds(1), forced).Item.Reason);
        Assert.Empty(s.InterfacesWith(node.Namespace, "192.0.2.1"));

        // The protocol runs on: alone on the wire, it is MASTER again after its master-down interval.
        var back = node.WaitState(CarpState.Master, Election, forced);
        Assert.Equal(TransitionReason.MasterDown, back.Item.Reason);
        s.Measure($"switch: forced BACKUP -> MASTER by master-down after {Clock.Ms(forced, back.At):0} ms (bound 3391 ms)");
        Assert.InRange(Clock.Ms(forced, back.At), 3390 - 50, 3390 + 300);
    }
}
