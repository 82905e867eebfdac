using System.Text;
using Carp.Engine.Hosting;
using Carp.Control;
using Carp.Testbed;

namespace Carp.Lab;

/// <summary>Our carpd in a namespace: started like systemd would (NOTIFY_SOCKET), watched through its control socket.</summary>
internal sealed class CarpdNode(TestNetwork net, string name, string @namespace, string configPath, string workDirectory)
    : LabNode(name, @namespace)
{
    private string SocketPath => Path.Combine(workDirectory, Name + ".sock");
    private CarpdClient? _client;
    private IDisposable? _subscription;

    public override string Implementation => "carpd";

    public StringBuilder Log { get; } = new();

    public override void Start()
    {
        Process = CarpdLauncher.Start(net, Namespace, SocketPath, configPath, line =>
        {
            lock (Log)
            {
                Log.AppendLine(line);
            }
        });

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
