using Carp.Engine.Core;
using Carp.Engine.Protocol;
using Carp.Engine.Simulation;

namespace Carp.Engine.Tests.Simulation;

public class ScaleTests
{
    [Fact]
    public void A_thousand_vhids_on_three_nodes_each_elect_their_preferred_node()
    {
        // vhids are unique per carpdev (1..255), so 1000 vhids need four segments of 250.
        var lan = new SimulatedLan(seed: 5) { RecordAdvertisements = false };
        var links = Enumerable.Range(0, 4).Select(i => lan.AddLink($"seg{i}")).ToArray();
        var nodes = Enumerable.Range(0, 3).Select(n => lan.AddHost($"n{n}")).ToArray();
        for (var n = 0; n < 3; n++)
        {
            for (var l = 0; l < 4; l++)
            {
                nodes[n].Connect(links[l], $"eth{l}", $"198.51.100.{(l * 10) + n + 1}");
            }
        }

        for (var i = 0; i < 1000; i++)
        {
            var segment = i / 250;
            var vhid = (byte)((i % 250) + 1);
            for (var n = 0; n < 3; n++)
            {
                var preferred = i % 3 == n;
                nodes[n].Add(new VirtualHostConfig
                {
                    Name = $"carp{i}",
                    Vhid = vhid,
                    CarpDev = $"eth{segment}",
                    AdvSkew = (byte)(preferred ? 0 : 50 + (n * 20)),
                    Key = CarpKey.FromPassphrase($"pass{i}"),
                    Addresses = [new CarpAddress(new System.Net.IPAddress([203, 0, 113, (byte)(i % 250)]), 24)],
                });
            }
        }

        lan.RunFor(TimeSpan.FromSeconds(10));

        for (var i = 0; i < 1000; i++)
        {
            var states = nodes.Select(n => n[$"carp{i}"].State).ToArray();
            Assert.Equal(1, states.Count(s => s == CarpState.Master));
            Assert.Equal(CarpState.Master, states[i % 3]);
        }

        Assert.All(nodes, n => Assert.Equal(0, n.Node.Statistics[CarpStatistic.BadAuth] + n.Node.Statistics[CarpStatistic.BadVhid]));
    }

    [Fact]
    public void Dual_stack_vhid_advertises_both_families_and_the_backup_hears_both()
    {
        var (lan, _, hosts) = ScenarioBuilder.Lan(2);
        string[] addresses = ["192.0.2.254/24", "2001:db8::254/64"];
        hosts[0].Add(ScenarioBuilder.Vhost(0, addresses: addresses));
        hosts[1].Add(ScenarioBuilder.Vhost(100, addresses: addresses));

        lan.RunFor(TimeSpan.FromSeconds(10));

        Assert.Equal(CarpState.Master, hosts[0]["carp1"].State);
        Assert.Equal(CarpState.Backup, hosts[1]["carp1"].State);
        Assert.True(hosts[0].Node.Statistics[CarpStatistic.OPackets] >= 7);
        Assert.Equal(hosts[0].Node.Statistics[CarpStatistic.OPackets], hosts[0].Node.Statistics[CarpStatistic.OPackets6]);
        Assert.True(hosts[1].Node.Statistics[CarpStatistic.IPackets6] >= 7);
    }
}
