using System.Collections.Concurrent;
using System.Net;
using Carp.Control;
using Carp.Engine.Core;
using Carp.Engine.Protocol;
using Carpd.Control;

namespace Carpd.Tests;

/// <summary>A control server over a <see cref="FakeCarpService"/> with a client connected to it, for the control-protocol tests.</summary>
internal sealed class ControlHarness : IDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    public TempDirectory Dir { get; } = new();
    public FakeCarpService Fake { get; } = new();
    public ConcurrentQueue<string> Log { get; } = new();
    public CarpControlServer Server { get; }
    public CarpdClient Client { get; }

    public ControlHarness()
    {
        Server = CarpControlServer.Start(Fake, Dir.File("carpd.sock"), new CarpControlServerOptions
        {
            Log = (level, line) => Log.Enqueue($"{level}: {line}"),
            MaxRequestBytes = 4096,
        });
        Client = new CarpdClient(Server.SocketPath, TimeSpan.FromSeconds(10));
    }

    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
        Dir.Dispose();
    }

    public static VirtualHostConfig Carp1(CarpKey? key = null) => new()
    {
        Name = "carp1",
        Vhid = 1,
        CarpDev = "eth0",
        Key = key ?? CarpKey.FromPassphrase("lanpasswd"),
        AdvSkew = 128,
        Addresses = [CarpAddress.Parse("192.0.2.100/24"), CarpAddress.Parse("2001:db8::100/64")],
        MacMode = MacMode.Real,
        Profile = CompatibilityProfile.OpenBsd,
        Groups = ["lan"],
        Peer = IPAddress.Parse("192.0.2.2"),
        Peer6 = IPAddress.Parse("2001:db8::2"),
    };

    public static string Request(int id, string method, string parameters) =>
        "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"" + method + "\",\"params\":" + parameters + "}";

    public static async Task WaitUntil(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (!condition())
        {
            await Task.Yield();
            await Task.Delay(5, timeout.Token);
        }
    }
}
