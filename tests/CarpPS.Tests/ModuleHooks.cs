using System.Reflection;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace CarpPS.Tests;

/// <summary>
/// Reaches the module's internal test hooks (CarpPS.CarpSessionRegistry) in the copy PowerShell loaded.
/// The hooks are process-wide: only tests in the <see cref="ProcessWideCollection"/> may use them.
/// </summary>
public static class ModuleHooks
{
    private static Type Registry => AppDomain.CurrentDomain.GetAssemblies()
        .Single(a => a.GetName().Name == "CarpPS")
        .GetType("CarpPS.CarpSessionRegistry", throwOnError: true)!;

    public static Func<ICarpService> LocalFactory
    {
        get => (Func<ICarpService>)Property("LocalFactory").GetValue(null)!;
        set => Property("LocalFactory").SetValue(null, value);
    }

    private static PropertyInfo Property(string name) =>
        Registry.GetProperty(name, BindingFlags.Static | BindingFlags.NonPublic)!;
}

/// <summary>Tests that change process-wide module state run alone, after the parallel ones.</summary>
[CollectionDefinition(nameof(ProcessWideCollection), DisableParallelization = true)]
public sealed class ProcessWideCollection;

/// <summary>An engine stand-in for the in-process engine hook: records calls, refuses nothing, sends nothing.</summary>
public sealed class FakeCarpService : ICarpService
{
    private readonly List<VirtualHostStatus> _interfaces = [];

    public int Disposed { get; private set; }

    public IReadOnlyList<VirtualHostStatus> GetInterfaces() => [.. _interfaces];

    public VirtualHostStatus CreateInterface(VirtualHostConfig config)
    {
        config.Validate();
        var status = VirtualHostStatus.Of(config, CarpState.Init);
        _interfaces.Add(status);
        return status;
    }

    public VirtualHostStatus SetInterface(string name, InterfaceChange change) => throw new NotSupportedException();

    public void RemoveInterface(string name) => _interfaces.RemoveAll(s => s.Name == name);

    public bool PassMatches(string name, Carp.Engine.Protocol.CarpKey pass) =>
        _interfaces.Any(s => s.Name == name) ? pass.IsEmpty : throw new CarpException(CarpErrorCode.InterfaceNotFound, $"There is no interface {name}.");

    public CarpSysctls GetSysctls() => CarpSysctls.Default;

    public CarpSysctls SetSysctl(string name, long value) => SysctlCatalog.Apply(CarpSysctls.Default, name, value);

    public CarpStatisticsSnapshot GetStatistics() => new(new long[CarpStatistics.Count]);

    public void ResetStatistics()
    {
    }

    public IDisposable Subscribe(Action<CarpEvent> handler) => new Unsubscriber();

    public void Dispose() => Disposed++;

    private sealed class Unsubscriber : IDisposable
    {
        public void Dispose()
        {
        }
    }
}
