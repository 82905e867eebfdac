using System.Collections;
using System.Management.Automation;

namespace CarpPS.Tests;

/// <summary>Bad input: a stable error id, the right category, a target, a recommended action, and nothing changed.</summary>
public sealed class ValidationTests(ModuleFixture module)
{
    public static TheoryData<string, object, string, ErrorCategory> BadNewArguments => new()
    {
        { "Vhid", 0, "InvalidVhid", ErrorCategory.InvalidArgument },
        { "Vhid", 256, "InvalidVhid", ErrorCategory.InvalidArgument },
        { "Vhid", -1, "InvalidVhid", ErrorCategory.InvalidArgument },
        { "AdvSkew", 255, "InvalidAdvSkew", ErrorCategory.InvalidArgument },
        { "AdvSkew", -3, "InvalidAdvSkew", ErrorCategory.InvalidArgument },
        { "AdvBase", 0, "InvalidAdvBase", ErrorCategory.InvalidArgument },
        { "AdvBase", 256, "InvalidAdvBase", ErrorCategory.InvalidArgument },
        { "Address", "banana", "InvalidAddress", ErrorCategory.InvalidArgument },
        { "Address", "192.0.2.1/33", "InvalidAddress", ErrorCategory.InvalidArgument },
        { "Address", "192.0.2.300/24", "InvalidAddress", ErrorCategory.InvalidArgument },
        { "Address", "224.0.0.18", "InvalidAddress", ErrorCategory.InvalidArgument },
        { "Peer", "224.0.0.18", "InvalidAddress", ErrorCategory.InvalidArgument },
        { "Peer", "192.0.2.2/24", "InvalidAddress", ErrorCategory.InvalidArgument },
        { "Peer", new[] { "192.0.2.2", "192.0.2.3" }, "InvalidAddress", ErrorCategory.InvalidArgument },
        { "Name", "no such name!", "InvalidInterfaceName", ErrorCategory.InvalidArgument },
        { "Name", "carp0", "InterfaceExists", ErrorCategory.ResourceExists },
        { "CarpDev", "nosuchdev0", "UnknownCarpDev", ErrorCategory.ObjectNotFound },
        { "Vhid", 200, "DuplicateVhid", ErrorCategory.ResourceExists },
    };

    [Theory]
    [MemberData(nameof(BadNewArguments))]
    public void New_CarpInterface_refuses_bad_input_and_changes_nothing(string parameter, object value, string errorId, ErrorCategory category)
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("New-CarpInterface -Name carp0 -Vhid 200 -CarpDev $args[0] -Address 192.0.2.200/24 -AdvBase 10", dev).AssertNoErrors();
        var before = Snapshot(ps);

        var arguments = new Hashtable { ["Name"] = "carp1", ["Vhid"] = 1, ["CarpDev"] = dev, ["Address"] = "192.0.2.1/24", [parameter] = value };
        var result = ps.Command("New-CarpInterface", arguments);

        var error = result.SingleError();
        Assert.Equal($"{errorId},CarpPS.Commands.NewCarpInterfaceCommand", error.FullyQualifiedErrorId);
        Assert.Equal(category, error.CategoryInfo.Category);
        Assert.NotNull(error.TargetObject);
        Assert.False(string.IsNullOrWhiteSpace(error.ErrorDetails?.RecommendedAction), "RecommendedAction is empty");
        Assert.False(string.IsNullOrWhiteSpace(error.ErrorDetails?.Message));
        Assert.Null(result.Terminating);
        Assert.Equal(before, Snapshot(ps));
    }

    public static TheoryData<string, object, string, ErrorCategory> BadSetArguments => new()
    {
        { "Vhid", 0, "InvalidVhid", ErrorCategory.InvalidArgument },
        { "Vhid", 256, "InvalidVhid", ErrorCategory.InvalidArgument },
        { "AdvSkew", 255, "InvalidAdvSkew", ErrorCategory.InvalidArgument },
        { "AdvBase", 0, "InvalidAdvBase", ErrorCategory.InvalidArgument },
        { "Address", "192.0.2.1/40", "InvalidAddress", ErrorCategory.InvalidArgument },
        { "CarpDev", "bad name!", "UnknownCarpDev", ErrorCategory.ObjectNotFound },
        { "Peer", "ff02::12", "InvalidAddress", ErrorCategory.InvalidArgument },
        { "Peer", "not-an-address", "InvalidAddress", ErrorCategory.InvalidArgument },
    };

    [Theory]
    [MemberData(nameof(BadSetArguments))]
    public void Set_CarpInterface_stops_on_bad_input_before_touching_anything(string parameter, object value, string errorId, ErrorCategory category)
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 10", dev).AssertNoErrors();
        var before = Snapshot(ps);

        var result = ps.Command("Set-CarpInterface", new Hashtable { ["Name"] = "carp1", [parameter] = value });

        Assert.NotNull(result.Terminating);
        var error = result.SingleError();
        Assert.Equal($"{errorId},CarpPS.Commands.SetCarpInterfaceCommand", error.FullyQualifiedErrorId);
        Assert.Equal(category, error.CategoryInfo.Category);
        // The target is the interface, as for New-CarpInterface; the message names the offending value.
        Assert.Equal("carp1", error.TargetObject);
        var shown = value is IEnumerable list and not string ? string.Join(",", list.Cast<object>()) : value.ToString()!;
        Assert.Contains(shown.Split('/')[0], error.Exception.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(error.ErrorDetails?.RecommendedAction));
        Assert.Equal(before, Snapshot(ps));
    }

    [Fact]
    public void Set_CarpInterface_engine_refusals_are_per_item_errors()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        ps.Run("""
            New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.1/24 -AdvBase 10
            New-CarpInterface -Name carp2 -Vhid 2 -CarpDev $args[0] -Address 192.0.2.2/24 -AdvBase 10
            """, dev).AssertNoErrors();
        var before = Snapshot(ps);

        var duplicate = ps.Run("Set-CarpInterface carp2 -Vhid 1");
        Assert.Equal("DuplicateVhid,CarpPS.Commands.SetCarpInterfaceCommand", duplicate.SingleError().FullyQualifiedErrorId);
        var unknown = ps.Run("Set-CarpInterface carp2 -CarpDev nosuchdev0");
        Assert.Equal("UnknownCarpDev,CarpPS.Commands.SetCarpInterfaceCommand", unknown.SingleError().FullyQualifiedErrorId);
        var missing = ps.Run("'nosuch', 'carp2' | Set-CarpInterface -AdvSkew 5");
        Assert.Equal("InterfaceNotFound,CarpPS.Commands.SetCarpInterfaceCommand", missing.SingleError().FullyQualifiedErrorId);
        Assert.Equal("nosuch", missing.Errors[0].TargetObject);
        Assert.Equal((byte)5, ps.Run("Get-CarpInterface carp2").Output[0].Properties["AdvSkew"].Value);
        Assert.Equal(before.Replace("carp2/2/0/", "carp2/2/5/"), Snapshot(ps));
    }

    [Fact]
    public void A_typed_parameter_keeps_PowerShells_own_binding_error()
    {
        using var ps = new PsSession(module);
        ps.ConnectSimulation();
        var result = ps.Command("New-CarpInterface", new Hashtable { ["Name"] = "carp1", ["Vhid"] = "one", ["CarpDev"] = "x", ["Address"] = "192.0.2.1" });
        var error = result.SingleError();
        Assert.NotNull(result.Terminating);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        Assert.EndsWith(",CarpPS.Commands.NewCarpInterfaceCommand", error.FullyQualifiedErrorId);
    }

    [Fact]
    public void Unreachable_carpd_stops_Connect_CarpService_with_ServiceUnreachable()
    {
        using var ps = new PsSession(module);
        var result = ps.Command("Connect-CarpService", new Hashtable { ["Path"] = "/nonexistent/carpd.sock" });
        Assert.NotNull(result.Terminating);
        var error = result.SingleError();
        Assert.Equal("ServiceUnreachable,CarpPS.Commands.ConnectCarpServiceCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ConnectionError, error.CategoryInfo.Category);
        Assert.Contains("carpd", error.ErrorDetails.RecommendedAction);
    }

    [Fact]
    public void A_closed_session_is_refused_with_ServiceUnreachable()
    {
        using var ps = new PsSession(module);
        var result = ps.Run("""
            $s = Connect-CarpService -Simulation -CarpDev $args[0] -PassThru
            Disconnect-CarpService -Session $s
            $s.IsOpen
            Get-CarpInterface -Session $s
            """, PsSession.UniqueCarpDev());
        Assert.Equal(false, result.Output[0].BaseObject);
        Assert.Equal("ServiceUnreachable,CarpPS.Commands.GetCarpInterfaceCommand", result.SingleError().FullyQualifiedErrorId);
    }

    [Theory]
    [InlineData("suppress_preempt", 1, "ReadOnlySysctl", ErrorCategory.InvalidOperation)]
    [InlineData("net.inet.carp.suppress_preempt", 0, "ReadOnlySysctl", ErrorCategory.InvalidOperation)]
    [InlineData("nosuch", 1, "UnknownSysctl", ErrorCategory.ObjectNotFound)]
    [InlineData("dscp", 64, "InvalidSysctlValue", ErrorCategory.InvalidArgument)]
    [InlineData("log", -1, "InvalidSysctlValue", ErrorCategory.InvalidArgument)]
    public void Set_CarpSysctl_refuses_bad_names_and_values(string name, long value, string errorId, ErrorCategory category)
    {
        using var ps = new PsSession(module);
        ps.ConnectSimulation();
        var before = SysctlSnapshot(ps);
        var result = ps.Command("Set-CarpSysctl", new Hashtable { ["Name"] = name, ["Value"] = value });
        var error = result.SingleError();
        Assert.Equal($"{errorId},CarpPS.Commands.SetCarpSysctlCommand", error.FullyQualifiedErrorId);
        Assert.Equal(category, error.CategoryInfo.Category);
        Assert.False(string.IsNullOrWhiteSpace(error.ErrorDetails?.RecommendedAction));
        Assert.Equal(before, SysctlSnapshot(ps));
    }

    /// <summary>Every interface's name, vhid, advskew, carpdev, addresses and pass flag, as one string.</summary>
    internal static string Snapshot(PsSession ps) => string.Join("; ", ps.Run("Get-CarpStatus").AssertNoErrors().Output.Select(o =>
        $"{o.Properties["Name"].Value}/{o.Properties["Vhid"].Value}/{o.Properties["AdvSkew"].Value}/{o.Properties["AdvBase"].Value}/" +
        $"{o.Properties["CarpDev"].Value}/{string.Join(",", (IEnumerable<string>)o.Properties["Address"].Value)}/{o.Properties["HasPass"].Value}"));

    internal static string SysctlSnapshot(PsSession ps) => string.Join("; ", ps.Run("Get-CarpSysctl").AssertNoErrors().Output.Select(o => o.ToString()));
}
