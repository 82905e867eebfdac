namespace CarpPS.Tests;

/// <summary>Get-CarpInterface and Get-CarpStatus objects through Select-Object *, ConvertTo-Csv and ConvertTo-Json.</summary>
public sealed class ExportTests(ModuleFixture module)
{
    private const string Create = """
        New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24, 2001:db8::1/64 -AdvBase 2 -AdvSkew 100 -Profile OpenBSD -MacMode Real -Pass x
        New-CarpInterface -Name carp2 -Vhid 2 -CarpDev $args[0] -Address 198.51.100.1/24
        """;

    [Theory]
    [InlineData("Get-CarpInterface")]
    [InlineData("Get-CarpStatus")]
    public void Name_comes_first_and_lists_write_as_text(string command)
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run(Create, dev).AssertNoErrors();
        var names = ps.Run($"({command} carp1).psobject.Properties.Name").AssertNoErrors().Output.Select(o => o.ToString()).ToList();
        Assert.Equal(["Name", "Vhid", "CarpDev"], names.Take(3));
        Assert.Contains("Address", names);

        // ConvertTo-Csv writes a value's ToString; ConvertTo-Json an IEnumerable as an array (both in tests/pester/CarpPS.Views.Tests.ps1).
        var result = ps.Run($"""
            $item = {command} carp1
            $item.Address.ToString()
            $item.Address.Count
            $item.Address[1]
            $item.Address -is [System.Collections.IList]
            """).AssertNoErrors().Output.Select(o => o.ToString()).ToList();
        Assert.Equal(["192.0.2.1/24, 2001:db8::1/64", "2", "2001:db8::1/64", "True"], result);
    }

    [Fact]
    public void Objects_as_Import_Csv_returns_them_re_create_the_interfaces()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        var result = ps.Run("""
            [pscustomobject]@{ Name = 'carp1'; Vhid = '1'; CarpDev = $args[0]; Address = '192.0.2.1/24, 2001:db8::1/64'; AdvBase = '2'; AdvSkew = '100'; MacMode = 'Real'; Profile = 'OpenBSD'; HasPass = 'True'; Groups = ''; State = 'Master' } |
                New-CarpInterface
            $i = Get-CarpInterface carp1
            '{0} {1} [{2}] {3} {4} {5} {6}' -f $i.Name, $i.Vhid, ($i.Address -join ' '), $i.AdvBase, $i.AdvSkew, $i.MacMode, $i.Profile
            """, dev).AssertNoErrors();
        Assert.Equal("carp1 1 [192.0.2.1/24 2001:db8::1/64] 2 100 Real OpenBSD", result.Output.Single().ToString());
    }

    [Fact]
    public void Address_takes_a_list_written_as_one_text()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address '192.0.2.1/24, 2001:db8::1/64'", dev).AssertNoErrors();
        var address = ps.Run("(Get-CarpInterface carp1).Address").AssertNoErrors().Output.Select(o => o.ToString());
        Assert.Equal(["192.0.2.1/24", "2001:db8::1/64"], address);
        Assert.Equal("InvalidAddress,CarpPS.Commands.NewCarpInterfaceCommand",
            ps.Run("New-CarpInterface -Name carp2 -Vhid 2 -CarpDev $args[0] -Address '192.0.2.2/24, banana'", dev).SingleError().FullyQualifiedErrorId);
    }
}
