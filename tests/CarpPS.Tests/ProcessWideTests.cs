using System.Collections;
using System.Management.Automation;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace CarpPS.Tests;

/// <summary>
/// The in-process engine is one per process: these tests replace its factory (a test hook) and so run
/// alone. No test here starts the real engine.
/// </summary>
[Collection(nameof(ProcessWideCollection))]
public sealed class ProcessWideTests(ModuleFixture module) : IDisposable
{
    private Func<ICarpService>? _original;

    public void Dispose()
    {
        if (_original is not null)
        {
            ModuleHooks.LocalFactory = _original;
        }
    }

    [Theory]
    [InlineData(CarpErrorCode.NotPermitted, ErrorCategory.PermissionDenied, "root")]
    [InlineData(CarpErrorCode.LibpcapMissing, ErrorCategory.NotInstalled, "libpcap")]
    public void An_engine_that_cannot_start_stops_every_engine_cmdlet(CarpErrorCode code, ErrorCategory category, string advice)
    {
        using var ps = new PsSession(module);
        ReplaceLocalFactory(() => throw new CarpException(code, $"the engine refused: {code}"));

        var commands = new (string Name, Hashtable Parameters)[]
        {
            ("Get-CarpInterface", new Hashtable()),
            ("Get-CarpStatus", new Hashtable()),
            ("New-CarpInterface", new Hashtable { ["Name"] = "carp1", ["Vhid"] = 1, ["CarpDev"] = "eth0", ["Address"] = "192.0.2.1/24" }),
            ("Set-CarpInterface", new Hashtable { ["Name"] = "carp1", ["AdvSkew"] = 1 }),
            ("Remove-CarpInterface", new Hashtable { ["Name"] = "carp1" }),
            ("Get-CarpSysctl", new Hashtable()),
            ("Set-CarpSysctl", new Hashtable { ["Preempt"] = true }),
            ("Get-CarpStatistics", new Hashtable()),
            ("Reset-CarpStatistics", new Hashtable()),
            ("Register-CarpEvent", new Hashtable { ["SourceIdentifier"] = "x" }),
            ("Wait-CarpState", new Hashtable { ["Name"] = "carp1", ["State"] = "Master", ["Timeout"] = 1 }),
        };
        foreach (var (name, parameters) in commands)
        {
            var result = ps.Command(name, parameters);
            Assert.NotNull(result.Terminating);
            var error = result.SingleError();
            Assert.Equal($"{code},CarpPS.Commands.{name.Replace("-", "")}Command", error.FullyQualifiedErrorId);
            Assert.Equal(category, error.CategoryInfo.Category);
            Assert.Contains(advice, error.ErrorDetails.RecommendedAction, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void An_unexpected_failure_becomes_a_ServiceError_record()
    {
        using var ps = new PsSession(module);
        ReplaceLocalFactory(() => throw new DllNotFoundException("libsomething.so"));
        var result = ps.Command("Get-CarpInterface");
        var error = result.SingleError();
        Assert.Equal("ServiceError,CarpPS.Commands.GetCarpInterfaceCommand", error.FullyQualifiedErrorId);
        Assert.IsType<CarpException>(error.Exception);
        Assert.IsType<DllNotFoundException>(error.Exception.InnerException);
    }

    [Fact]
    public void Without_a_connection_the_in_process_engine_is_shared_and_Remove_Module_by_the_last_runspace_stops_it()
    {
        var fake = new FakeCarpService();
        var created = 0;
        ReplaceLocalFactory(() =>
        {
            created++;
            return fake;
        });

        using var first = new PsSession(module);
        using var second = new PsSession(module);
        first.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev eth0 -Address 192.0.2.1/24").AssertNoErrors();
        Assert.Equal(["carp1"], second.Run("(Get-CarpInterface).Name").AssertNoErrors().Output.Select(o => o.ToString()));
        Assert.Equal(1, created);

        // A simulation connection belongs to its runspace; removing the module closes it.
        var session = first.Run("Connect-CarpService -Simulation -CarpDev $args[0] -PassThru", PsSession.UniqueCarpDev()).AssertNoErrors().Output[0];
        first.Run("Remove-Module CarpPS").AssertNoErrors();
        Assert.Equal(false, session.Properties["IsOpen"].Value);
        Assert.Equal(0, fake.Disposed);

        second.Run("Remove-Module CarpPS").AssertNoErrors();
        Assert.Equal(1, fake.Disposed);
    }

    [Fact]
    public void Closing_the_last_runspace_stops_the_in_process_engine()
    {
        var fake = new FakeCarpService();
        ReplaceLocalFactory(() => fake);
        using (var ps = new PsSession(module))
        {
            ps.Run("Get-CarpInterface").AssertNoErrors();
        }

        Assert.Equal(1, fake.Disposed);
    }

    private void ReplaceLocalFactory(Func<ICarpService> factory)
    {
        _original ??= ModuleHooks.LocalFactory;
        ModuleHooks.LocalFactory = factory;
    }
}
