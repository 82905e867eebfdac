using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Linux;

namespace Carp.Network.Tests.Scenarios;

/// <summary>Our engine in a node namespace, with every event it raises recorded.</summary>
internal sealed class EngineNode : IDisposable
{
    private readonly IDisposable _subscription;
    private bool _disposed;

    private EngineNode(string label, string ns, ICarpService service, Recorder<CarpEvent> events, IDisposable subscription)
    {
        Label = label;
        Namespace = ns;
        Service = service;
        Events = events;
        _subscription = subscription;
    }

    public string Label { get; }

    public string Namespace { get; }

    public ICarpService Service { get; }

    public Recorder<CarpEvent> Events { get; }

    public bool IsDisposed => _disposed;

    public static EngineNode Start(Scenario scenario, string label, string ns, CarpSysctls? sysctls, Func<CarpServiceOptions, CarpServiceOptions>? configure = null)
    {
        var events = new Recorder<CarpEvent>(label);
        var options = new CarpServiceOptions
        {
            Sysctls = sysctls ?? CarpSysctls.Default,
            Log = (level, line) => scenario.Log(label, $"[{level}] {line}"),
        };
        options = configure?.Invoke(options) ?? options;
        var service = NetworkNamespace.Run(ns, () => LinuxCarpServices.CreateLocal(options));
        try
        {
            var subscription = service.Subscribe(e =>
            {
                events.Add(e);
                if (e is not CarpStateChangedEvent)
                {
                    scenario.Log(label, "event " + e);
                }
            });
            return new EngineNode(label, ns, service, events, subscription);
        }
        catch
        {
            service.Dispose();
            throw;
        }
    }

    public VirtualHostStatus Create(VirtualHostConfig config) => Service.CreateInterface(config);

    public VirtualHostStatus Status(string name = "carp1") => Service.GetInterfaces().Single(i => i.Name == name);

    public CarpState State(string name = "carp1") => Status(name).State;

    public CarpStatisticsSnapshot Stats => Service.GetStatistics();

    /// <summary>The first transition into <paramref name="state"/> at or after <paramref name="since"/>.</summary>
    public Stamped<CarpStateChangedEvent> WaitState(CarpState state, TimeSpan timeout, long since = 0, string name = "carp1")
    {
        var s = Events.Wait(e => e is CarpStateChangedEvent c && c.Interface == name && c.NewState == state, timeout,
            $"{name} entering {state}", since);
        return new Stamped<CarpStateChangedEvent>(s.At, (CarpStateChangedEvent)s.Item);
    }

    public IReadOnlyList<Stamped<CarpStateChangedEvent>> Transitions(long since = 0, string name = "carp1") =>
        [.. Events.All(e => e is CarpStateChangedEvent c && c.Interface == name, since)
            .Select(s => new Stamped<CarpStateChangedEvent>(s.At, (CarpStateChangedEvent)s.Item))];

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            Service.Dispose();
        }
        finally
        {
            _subscription.Dispose();
        }
    }
}
