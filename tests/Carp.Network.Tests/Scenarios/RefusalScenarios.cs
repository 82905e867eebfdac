using System.Net;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;

namespace Carp.Network.Tests.Scenarios;

/// <summary>Refused configurations on the real wire change nothing: no interface, no macvlan, no address.</summary>
public sealed class RefusalScenarios
{
    [Theory]
    [InlineData("nosuchdev", null, CarpErrorCode.UnknownCarpDev)]
    [InlineData("eth0", "224.0.0.18", CarpErrorCode.InvalidAddress)]
    public void A_refused_interface_leaves_nothing_behind(string carpDev, string? peer, CarpErrorCode expected)
    {
        using var s = new Scenario(nodes: 1);
        var node = s.Engine("A", s.Node(1).Namespace);
        var config = new VirtualHostConfig
        {
            Name = "carp1",
            Vhid = 1,
            CarpDev = carpDev,
            Key = CarpKey.FromPassphrase("foobar"),
            Addresses = [CarpAddress.Parse("192.0.2.1/24")],
            Peer = peer is null ? null : IPAddress.Parse(peer),
        };

        var refused = Assert.Throws<CarpException>(() => node.Create(config));

        Assert.Equal(expected, refused.Code);
        Assert.False(string.IsNullOrWhiteSpace(refused.Message));
        Assert.Empty(node.Service.GetInterfaces());
        Assert.DoesNotContain("carp1", s.Exec(s.Node(1).Namespace, "ip", "-o", "link").StandardOutput, StringComparison.Ordinal);
        Assert.Empty(s.InterfacesWith(s.Node(1).Namespace, "192.0.2.1"));
        Assert.DoesNotContain("foobar", refused.Message, StringComparison.Ordinal);
    }
}
