using System.Net.Sockets;
using Carp.Control;
using Carp.Engine.Core;
using Carpd.Control;

namespace Carpd.Tests;

/// <summary>The socket file and the client's connection: permissions, stale sockets, timeouts, restarts.</summary>
public sealed class ControlConnectionLifecycleTests : IDisposable
{
    private readonly ControlHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public void The_socket_is_private_to_its_owner()
    {
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_h.Server.SocketPath));
    }

    [Fact]
    public void Ping_and_version_answer()
    {
        Assert.True(_h.Client.Ping() < ControlHarness.Patience);
        Assert.Equal("0.1.0", _h.Client.GetServerVersion());
    }

    [Fact]
    public void A_slow_answer_times_out_as_ServiceUnreachable_and_the_client_recovers()
    {
        using var gate = new ManualResetEventSlim(false);
        _h.Fake.Gate = gate;
        // 1 s: long enough that the answer after the gate opens comes in time even on a loaded machine.
        using var impatient = new CarpdClient(_h.Server.SocketPath, TimeSpan.FromSeconds(1));

        var ex = Assert.Throws<CarpException>(() => impatient.GetInterfaces());

        Assert.Equal(CarpErrorCode.ServiceUnreachable, ex.Code);
        Assert.Contains("did not answer getInterfaces", ex.Message);
        gate.Set();
        _h.Fake.Gate = null;
        Assert.Empty(impatient.GetInterfaces());
    }

    [Fact]
    public void An_absent_carpd_is_ServiceUnreachable_with_what_to_do()
    {
        using var client = new CarpdClient(_h.Dir.File("absent.sock"));

        var ex = Assert.Throws<CarpException>(() => client.GetInterfaces());

        Assert.Equal(CarpErrorCode.ServiceUnreachable, ex.Code);
        Assert.Contains(_h.Dir.File("absent.sock"), ex.Message, StringComparison.Ordinal);
        Assert.Throws<CarpException>(() => client.Subscribe(_ => { }));
    }

    [Fact]
    public void The_client_reconnects_after_carpd_restarts()
    {
        Assert.Empty(_h.Client.GetInterfaces());
        _h.Server.Dispose();
        Assert.False(File.Exists(_h.Dir.File("carpd.sock")));

        var fake = new FakeCarpService();
        using var restarted = CarpControlServer.Start(fake, _h.Dir.File("carpd.sock"));
        fake.CreateInterface(ControlHarness.Carp1());

        Assert.Equal("carp1", Assert.Single(_h.Client.GetInterfaces()).Name);
    }

    [Fact]
    public void A_stale_socket_is_replaced_but_a_live_one_or_a_plain_file_is_refused()
    {
        var stalePath = _h.Dir.File("stale.sock");
        using (var stale = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            // .NET unlinks a socket file it bound when the socket is disposed; a crashed carpd would not.
            stale.Bind(new UnixDomainSocketEndPoint(_h.Dir.File("crashed.sock")));
            File.Move(_h.Dir.File("crashed.sock"), stalePath);
        }

        Assert.True(File.Exists(stalePath));
        using (var server = CarpControlServer.Start(_h.Fake, stalePath))
        {
            using var client = new CarpdClient(stalePath);
            client.Ping();
        }

        var ex = Assert.Throws<CarpException>(() => CarpControlServer.Start(_h.Fake, _h.Server.SocketPath));
        Assert.Contains("already listening", ex.Message);
        _h.Client.Ping();

        var plain = _h.Dir.Write("plain.sock", "keep me");
        ex = Assert.Throws<CarpException>(() => CarpControlServer.Start(_h.Fake, plain));
        Assert.Contains("not a socket", ex.Message);
        Assert.Equal("keep me", File.ReadAllText(plain));
    }

    [Fact]
    public void The_server_creates_a_private_directory_and_removes_its_socket_when_disposed()
    {
        var path = Path.Combine(_h.Dir.Path, "run", "carpd.sock");

        var server = CarpControlServer.Start(_h.Fake, path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(path)!));
        server.Dispose();
        Assert.False(File.Exists(path));
        Assert.False(_h.Fake.Disposed);
    }
}
