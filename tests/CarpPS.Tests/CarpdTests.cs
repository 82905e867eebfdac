using System.Collections;
using System.Management.Automation;
using System.Net.Sockets;
using Carp.Control;
using Carp.Engine.Hosting;
using Carpd.Control;

namespace CarpPS.Tests;

/// <summary>Connect-CarpService -Path against carpd's control protocol, served here by a simulated engine.</summary>
public sealed class CarpdTests(ModuleFixture module) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("carpps-carpd-").FullName;
    private readonly string _dev = PsSession.UniqueCarpDev();
    private ICarpService? _engine;
    private CarpControlServer? _server;

    private string SocketPath => Path.Combine(_directory, "carpd.sock");

    public void Dispose()
    {
        _server?.Dispose();
        _engine?.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void The_cmdlets_drive_carpd_through_its_socket()
    {
        StartCarpd();
        using var ps = new PsSession(module);
        var session = Assert.Single(ps.Run("Connect-CarpService -Path $args[0] -PassThru", SocketPath).AssertNoErrors().Output);
        Assert.Equal("Carpd", session.Properties["Kind"].Value.ToString());
        Assert.Equal(SocketPath, session.Properties["Path"].Value);

        var result = ps.Run("""
            param($dev)
            Register-CarpEvent -Name carp1 -EventType StateChanged -SourceIdentifier ViaCarpd
            New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $dev -Pass 'Zq9-sekrit-77' -Address 192.0.2.1/24
            Wait-CarpState -Name carp1 -State Master -Timeout 10
            Set-CarpSysctl -Preempt $true -PassThru
            """, _dev).AssertNoErrors();
        Assert.Equal("Master", result.Output[0].Properties["State"].Value.ToString());
        Assert.Equal(1L, result.Output[1].Properties["Value"].Value);

        var inCarpd = Assert.Single(_engine!.GetInterfaces());
        Assert.Equal("carp1", inCarpd.Name);
        Assert.True(inCarpd.HasPass);
        Assert.True(_engine.GetSysctls().Preempt);
        EventTests.WaitUntil(() => ps.Runspace.Events.ReceivedEvents.Any(e => e.SourceIdentifier == "ViaCarpd"));

        // Refusals come back with carpd's error code.
        var duplicate = ps.Run("New-CarpInterface -Name carp2 -Vhid 1 -CarpDev $args[0] -Address 192.0.2.2/24", _dev);
        Assert.Equal("DuplicateVhid,CarpPS.Commands.NewCarpInterfaceCommand", duplicate.SingleError().FullyQualifiedErrorId);

        // Disconnecting leaves carpd and its interfaces running.
        ps.Run("Disconnect-CarpService").AssertNoErrors();
        Assert.Single(_engine.GetInterfaces());
    }

    [Fact]
    public void A_socket_nobody_listens_on_is_ServiceUnreachable()
    {
        // Bound but not listening, as the socket of a carpd that hangs or died: connecting is refused.
        using var stale = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        stale.Bind(new UnixDomainSocketEndPoint(SocketPath));
        Assert.True(File.Exists(SocketPath));
        using var ps = new PsSession(module);
        var result = ps.Command("Connect-CarpService", new Hashtable { ["Path"] = SocketPath });
        Assert.NotNull(result.Terminating);
        var error = result.SingleError();
        Assert.Equal("ServiceUnreachable,CarpPS.Commands.ConnectCarpServiceCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ConnectionError, error.CategoryInfo.Category);
        Assert.False(string.IsNullOrWhiteSpace(error.ErrorDetails.RecommendedAction));
    }

    private void StartCarpd()
    {
        _engine = CarpServices.CreateInMemory(_dev);
        _server = CarpControlServer.Start(_engine, SocketPath);
    }
}
