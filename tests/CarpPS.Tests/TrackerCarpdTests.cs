using Carp.Engine.Hosting;
using Carpd.Control;

namespace CarpPS.Tests;

/// <summary>Add-/Get-/Remove-CarpTracker against carpd's control socket (served here by a simulated engine): same objects, same error ids.</summary>
public sealed class TrackerCarpdTests : IDisposable
{
    private readonly ModuleFixture _module;
    private readonly string _directory = Directory.CreateTempSubdirectory("carpps-trackers-").FullName;
    private readonly string _dev = PsSession.UniqueCarpDev();
    private readonly ICarpService _engine;
    private readonly CarpControlServer _server;

    public TrackerCarpdTests(ModuleFixture module)
    {
        _module = module;
        _engine = CarpServices.CreateInMemory(_dev);
        _server = CarpControlServer.Start(_engine, SocketPath);
    }

    private string SocketPath => Path.Combine(_directory, "carpd.sock");

    public void Dispose()
    {
        _server.Dispose();
        _engine.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void The_tracker_cmdlets_drive_carpds_trackers()
    {
        using var ps = new PsSession(_module);
        ps.Run("Connect-CarpService -Path $args[0]", SocketPath).AssertNoErrors();
        var file = Path.Combine(_directory, "load");
        File.WriteAllText(file, "3\n");

        var added = Assert.Single(ps.Run("""
            param($dev, $file)
            $null = New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $dev -Address 192.0.2.1/24
            Add-CarpTracker -Name load -Kind File -Target $file -Interface carp1 -Weight 5 -Interval 0.1
            """, _dev, file).AssertNoErrors().Output);
        Assert.Equal("CarpPS.CarpTracker", added.BaseObject.GetType().FullName);
        Assert.Equal("load", added.Properties["Name"].Value);

        EventTests.WaitUntil(() => _engine.GetInterfaces()[0].TrackerDemotion == 15);
        var status = Assert.Single(ps.Run("Get-CarpStatus -Name carp1").AssertNoErrors().Output);
        Assert.Equal(15, status.Properties["TrackerDemotion"].Value);
        Assert.Equal((byte)15, status.Properties["EffectiveAdvSkew"].Value);
        var listed = Assert.Single(ps.Run("Get-CarpTracker").AssertNoErrors().Output);
        Assert.Equal(("Down", "value 3"), (listed.Properties["State"].Value.ToString(), listed.Properties["LastResult"].Value));

        var duplicate = ps.Run("Add-CarpTracker -Name load -Kind Link -Target lo -Interface carp1 -Fault");
        Assert.Equal("TrackerExists,CarpPS.Commands.AddCarpTrackerCommand", duplicate.SingleError().FullyQualifiedErrorId);

        ps.Run("Get-CarpTracker | Remove-CarpTracker").AssertNoErrors();
        Assert.Empty(((ICarpTrackers)_engine).GetTrackers());
        Assert.Equal(0, _engine.GetInterfaces()[0].TrackerDemotion);
        var missing = ps.Run("Remove-CarpTracker -Name load");
        Assert.Equal("TrackerNotFound,CarpPS.Commands.RemoveCarpTrackerCommand", missing.SingleError().FullyQualifiedErrorId);
    }
}
