using System.Collections;

namespace CarpPS.Tests;

/// <summary>-Peer, -Mcast and -Mcast6 (docs/protocol.md#unicast-peers): they reach the engine, show in Get-CarpInterface and bind back from it.</summary>
public sealed class PeerTests(ModuleFixture module)
{
    [Fact]
    public void Peers_are_set_shown_changed_and_returned_to_multicast()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.100/24 -Peer 192.0.2.12, fe80::2", dev).AssertNoErrors();
        Assert.Equal(new[] { "192.0.2.12", "fe80::2" }, Peers(ps));

        ps.Run("Set-CarpInterface carp1 -Peer 198.51.100.224 -Mcast6").AssertNoErrors();
        Assert.Equal(new[] { "198.51.100.224" }, Peers(ps));
        ps.Run("Set-CarpInterface carp1 -AdvSkew 2").AssertNoErrors();
        Assert.Equal(new[] { "198.51.100.224" }, Peers(ps));

        ps.Run("Set-CarpInterface carp1 -Mcast").AssertNoErrors();
        Assert.Empty(Peers(ps));
    }

    [Fact]
    public void A_peer_and_mcast_of_one_family_are_refused_and_nothing_changes()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.100/24 -Peer 192.0.2.12", dev).AssertNoErrors();

        var result = ps.Run("Set-CarpInterface carp1 -Peer 192.0.2.13 -Mcast");

        var error = result.SingleError();
        Assert.Equal("InvalidArgument,CarpPS.Commands.SetCarpInterfaceCommand", error.FullyQualifiedErrorId);
        Assert.Contains("-Mcast", error.ErrorDetails!.RecommendedAction, StringComparison.Ordinal);
        Assert.Equal(new[] { "192.0.2.12" }, Peers(ps));
    }

    [Fact]
    public void Get_CarpInterface_and_a_CSV_row_piped_to_New_CarpInterface_keep_the_peers()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("""
            New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.100/24 -Peer 192.0.2.12, 2001:db8::12
            $info = Get-CarpInterface carp1
            Remove-CarpInterface carp1 -Confirm:$false
            $info | New-CarpInterface
            """, dev).AssertNoErrors();
        Assert.Equal(new[] { "192.0.2.12", "2001:db8::12" }, Peers(ps));

        // A CSV row gives the list as one text, as Import-Csv hands it back.
        ps.Run("""
            Remove-CarpInterface carp1 -Confirm:$false
            [pscustomobject]@{ Name = 'carp1'; Vhid = '1'; CarpDev = $args[0]; Address = '192.0.2.100/24'; Peer = '192.0.2.13, fe80::13' } | New-CarpInterface
            """, dev).AssertNoErrors();
        Assert.Equal(new[] { "192.0.2.13", "fe80::13" }, Peers(ps));
    }

    private static string[] Peers(PsSession ps) =>
        [.. ((IEnumerable<string>)Assert.Single(ps.Run("Get-CarpInterface carp1").AssertNoErrors().Output).Properties["Peer"].Value).Order(StringComparer.Ordinal)];
}
