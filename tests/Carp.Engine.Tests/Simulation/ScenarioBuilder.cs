using Carp.Engine.Core;
using Carp.Engine.Protocol;
using Carp.Engine.Simulation;

namespace Carp.Engine.Tests.Simulation;

/// <summary>Shared shapes of the docs/protocol.md#scenarios scenarios: nodes on one LAN with one vhid.</summary>
internal static class ScenarioBuilder
{
    public const string Vip = "192.0.2.254/24";

    public static VirtualHostConfig Vhost(byte advSkew = 0, string pass = "foobar", byte vhid = 1, byte advBase = 1,
        CompatibilityProfile? profile = null, string name = "carp1", string device = "eth0", params string[] addresses) => new()
        {
            Name = name,
            Vhid = vhid,
            CarpDev = device,
            AdvBase = advBase,
            AdvSkew = advSkew,
            Key = CarpKey.FromPassphrase(pass),
            Addresses = (addresses.Length == 0 ? [Vip] : addresses).Select(CarpAddress.Parse).ToArray(),
            Profile = profile ?? CompatibilityProfile.FreeBsd,
        };

    /// <summary>Nodes "one", "two", … at 192.0.2.1, .2, … (and 2001:db8::1, ::2, …) on one link.</summary>
    public static (SimulatedLan Lan, SimulatedLink Link, SimulatedHost[] Hosts) Lan(int nodes, int seed = 1, bool preempt = false)
    {
        var lan = new SimulatedLan(seed);
        var link = lan.AddLink();
        var names = new[] { "one", "two", "three", "four", "five" };
        var hosts = Enumerable.Range(0, nodes).Select(i =>
        {
            var host = lan.AddHost(names[i], CarpSysctls.Default with { Preempt = preempt });
            host.Connect(link, "eth0", $"192.0.2.{i + 1}", $"2001:db8::{i + 1}");
            return host;
        }).ToArray();
        return (lan, link, hosts);
    }

    public static int Masters(IEnumerable<SimulatedHost> hosts, string name = "carp1") =>
        hosts.Count(h => !h.Crashed && h.Node.Find(name)?.State == CarpState.Master);

    public static SimulationEvent? BecameMaster(SimulatedLan lan, string host, TimeSpan after = default) =>
        lan.Timeline.FirstOrDefault(e => e.Host == host && e.At >= after && e.Kind == SimulationEventKind.StateChanged && e.NewState == CarpState.Master);
}
