using System.Net.Sockets;
using System.Text;
using Carp.Engine.Hosting;
using Carp.Engine.Hosting.Remote;
using Carp.Testbed;

namespace Carp.Lab;

/// <summary>Our carpd in a namespace: started like systemd would (NOTIFY_SOCKET), watched through its control socket.</summary>
internal sealed class CarpdNode(TestNetwork net, string name, string @namespace, string carpdPath, string configPath, string workDirectory)
    : LabNode(name, @namespace)
{
    private string SocketPath => Path.Combine(workDirectory, Name + ".sock");
    private CarpdClient? _client;
    private IDisposable? _subscription;

    public override string Implementation => "carpd";

    public StringBuilder Log { get; } = new();

    public override void Start()
    {
        var notifyPath = Path.Combine(workDirectory, Name + ".notify");
        File.Delete(notifyPath);
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(notifyPath));
        notify.ReceiveTimeout = 15000;

        Process = net.Start(Namespace, carpdPath, new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notifyPath },
            "--config", configPath, "--socket", SocketPath);
        Process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lock (Log)
                {
                    Log.AppendLine(line);
                }
            }
        };
        Process.BeginErrorReadLine();

        var buffer = new byte[256];
        while (true)
        {
            int n;
            try
            {
                n = notify.Receive(buffer);
            }
            catch (SocketException ex)
            {
                throw new InvalidOperationException($"carpd in {Namespace} did not report READY=1: {ex.SocketErrorCode}\n{Log}", ex);
            }

            if (Encoding.UTF8.GetString(buffer, 0, n).Split('\n').Contains("READY=1"))
            {
                break;
            }
        }

        _client = new CarpdClient(SocketPath);
        _subscription = _client.Subscribe(e =>
        {
            if (e is CarpStateChangedEvent s)
            {
                Report(s.Timestamp, s.Interface, s.OldState, s.NewState, s.Reason.ToString());
            }
        });
        foreach (var status in _client.GetInterfaces())
        {
            Report(DateTimeOffset.UtcNow, status.Name, status.State, status.State, "(state at connect)");
        }
    }

    protected override void OnKilled()
    {
        _subscription?.Dispose();
        _client?.Dispose();
        _subscription = null;
        _client = null;
    }
}
