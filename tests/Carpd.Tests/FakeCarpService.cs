using System.Collections.Concurrent;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace Carpd.Tests;

/// <summary>An in-memory ICarpService that records what it was asked and can be told to refuse or to block.</summary>
internal sealed class FakeCarpService : ICarpService
{
    private readonly Lock _gate = new();
    private readonly List<VirtualHostConfig> _interfaces = [];
    private readonly List<Action<CarpEvent>> _handlers = [];
    private long[] _statistics = new long[CarpStatistics.Count];

    public ConcurrentQueue<string> Calls { get; } = new();

    public VirtualHostConfig? LastCreated { get; private set; }

    public (string Name, InterfaceChange Change)? LastChange { get; private set; }

    public string? LastRemoved { get; private set; }

    public CarpSysctls Sysctls { get; private set; } = CarpSysctls.Default;

    /// <summary>Thrown (once) by the next call.</summary>
    public Exception? NextError { get; set; }

    /// <summary>When set, GetInterfaces waits on it.</summary>
    public ManualResetEventSlim? Gate { get; set; }

    public bool Disposed { get; private set; }

    public int SubscriberCount
    {
        get
        {
            lock (_gate)
            {
                return _handlers.Count;
            }
        }
    }

    public TaskCompletionSource FirstSubscriber { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void SetStatistics(params long[] values) => _statistics = values;

    public void Raise(CarpEvent carpEvent)
    {
        Action<CarpEvent>[] handlers;
        lock (_gate)
        {
            handlers = [.. _handlers];
        }

        foreach (var handler in handlers)
        {
            handler(carpEvent);
        }
    }

    public IReadOnlyList<VirtualHostStatus> GetInterfaces()
    {
        Enter(nameof(GetInterfaces));
        Gate?.Wait(TimeSpan.FromSeconds(30));
        lock (_gate)
        {
            return [.. _interfaces.Select(ToStatus)];
        }
    }

    public VirtualHostStatus CreateInterface(VirtualHostConfig config)
    {
        Enter(nameof(CreateInterface));
        config.Validate();
        lock (_gate)
        {
            if (_interfaces.Any(i => i.Name == config.Name))
            {
                throw new CarpException(CarpErrorCode.InterfaceExists, $"{config.Name} exists.");
            }

            LastCreated = config;
            _interfaces.Add(config);
            return ToStatus(config);
        }
    }

    public VirtualHostStatus SetInterface(string name, InterfaceChange change)
    {
        Enter(nameof(SetInterface));
        lock (_gate)
        {
            var index = _interfaces.FindIndex(i => i.Name == name);
            if (index < 0)
            {
                throw new CarpException(CarpErrorCode.InterfaceNotFound, $"There is no interface {name}.");
            }

            LastChange = (name, change);
            var current = _interfaces[index];
            _interfaces[index] = current with
            {
                Vhid = change.Vhid ?? current.Vhid,
                AdvBase = change.AdvBase ?? current.AdvBase,
                AdvSkew = change.AdvSkew ?? current.AdvSkew,
                Key = change.Key ?? current.Key,
                Addresses = change.Addresses ?? current.Addresses,
                CarpDev = change.CarpDev ?? current.CarpDev,
                MacMode = change.MacMode ?? current.MacMode,
                Groups = change.Groups ?? current.Groups,
                Maintenance = change.Maintenance ?? current.Maintenance,
            };
            return ToStatus(_interfaces[index]) with { ForcedState = change.State };
        }
    }

    public void RemoveInterface(string name)
    {
        Enter(nameof(RemoveInterface));
        lock (_gate)
        {
            if (_interfaces.RemoveAll(i => i.Name == name) == 0)
            {
                throw new CarpException(CarpErrorCode.InterfaceNotFound, $"There is no interface {name}.");
            }

            LastRemoved = name;
        }
    }

    public bool PassMatches(string name, Carp.Engine.Protocol.CarpKey pass)
    {
        Enter(nameof(PassMatches));
        lock (_gate)
        {
            var config = _interfaces.Find(i => i.Name == name) ?? throw new CarpException(CarpErrorCode.InterfaceNotFound, $"There is no interface {name}.");
            return config.Key.Equals(pass);
        }
    }

    public CarpSysctls GetSysctls()
    {
        Enter(nameof(GetSysctls));
        return Sysctls;
    }

    public CarpSysctls SetSysctl(string name, long value)
    {
        Enter(nameof(SetSysctl));
        Sysctls = SysctlCatalog.Apply(Sysctls, name, value);
        return Sysctls;
    }

    public CarpStatisticsSnapshot GetStatistics()
    {
        Enter(nameof(GetStatistics));
        return new CarpStatisticsSnapshot(_statistics);
    }

    public void ResetStatistics()
    {
        Enter(nameof(ResetStatistics));
        _statistics = new long[CarpStatistics.Count];
    }

    public IDisposable Subscribe(Action<CarpEvent> handler)
    {
        Enter(nameof(Subscribe));
        lock (_gate)
        {
            _handlers.Add(handler);
        }

        FirstSubscriber.TrySetResult();
        return new Unsubscriber(this, handler);
    }

    public void Dispose() => Disposed = true;

    private void Enter(string call)
    {
        Calls.Enqueue(call);
        var error = NextError;
        if (error is not null)
        {
            NextError = null;
            throw error;
        }
    }

    private static VirtualHostStatus ToStatus(VirtualHostConfig config) => VirtualHostStatus.Of(config, CarpState.Backup) with
    {
        MasterSeen = System.Net.IPAddress.Parse("192.0.2.2"),
        MasterSeenAdvBase = 1,
        MasterSeenAdvSkew = 50,
        LastTransition = new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero),
        LastTransitionReason = TransitionReason.Started,
        Transitions = 1,
    };

    private sealed class Unsubscriber(FakeCarpService owner, Action<CarpEvent> handler) : IDisposable
    {
        public void Dispose()
        {
            lock (owner._gate)
            {
                owner._handlers.Remove(handler);
            }
        }
    }
}
