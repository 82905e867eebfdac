using System.Net;
using System.Reflection;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace CarpPS.Tests;

/// <summary>
/// Issue 10 checks that need the in-process engine (replaced by a fake through the module's test hooks) and the host's own
/// addresses (a hook too): they change process-wide state and run alone.
/// </summary>
[Collection(nameof(ProcessWideCollection))]
public sealed class FrictionProcessWideTests(ModuleFixture module) : IDisposable
{
    private Func<ICarpService>? _originalFactory;
    private object? _originalOwnAddresses;

    public void Dispose()
    {
        if (_originalFactory is not null)
        {
            ModuleHooks.LocalFactory = _originalFactory;
        }

        if (_originalOwnAddresses is not null)
        {
            OwnAddressesHook.SetValue(null, _originalOwnAddresses);
        }
    }

    [Fact]
    public void A_name_taken_by_a_host_interface_is_refused_without_advice_to_change_or_delete_it()
    {
        using var ps = new PsSession(module);
        Use(new HostInterfaceService("eth0"));
        var error = ps.Run("New-CarpInterface -Name eth0 -Vhid 1 -CarpDev eth1 -Address 192.0.2.1/24").SingleError();
        Assert.Equal("InterfaceExists,CarpPS.Commands.NewCarpInterfaceCommand", error.FullyQualifiedErrorId);
        Assert.Equal("eth0", error.TargetObject);
        var advice = error.ErrorDetails.RecommendedAction;
        Assert.Contains("Choose another -Name", advice, StringComparison.Ordinal);
        Assert.DoesNotContain("Set-CarpInterface", advice, StringComparison.Ordinal);
        Assert.DoesNotContain("Remove", advice, StringComparison.Ordinal);
        Assert.DoesNotContain("delete", advice, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void An_address_of_the_carpdev_itself_is_refused_on_the_real_wire()
    {
        using var ps = new PsSession(module);
        var fake = new HostInterfaceService("eth0");
        Use(fake);
        _originalOwnAddresses ??= OwnAddressesHook.GetValue(null);
        OwnAddressesHook.SetValue(null, (Func<string, IReadOnlyList<IPAddress>>)(name => name == "eth1" ? [IPAddress.Parse("192.0.2.5")] : []));

        var error = ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev eth1 -Address 192.0.2.5/24").SingleError();
        Assert.Equal("CarpDevAddress,CarpPS.Commands.NewCarpInterfaceCommand", error.FullyQualifiedErrorId);
        Assert.Contains("eth1", error.Exception.Message, StringComparison.Ordinal);
        Assert.Empty(fake.GetInterfaces());

        ps.Run("New-CarpInterface -Name carp1 -Vhid 1 -CarpDev eth1 -Address 192.0.2.6/24").AssertNoErrors();
        Assert.Single(fake.GetInterfaces());
    }

    private static PropertyInfo OwnAddressesHook => AppDomain.CurrentDomain.GetAssemblies().Single(a => a.GetName().Name == "CarpPS")
        .GetType("CarpPS.Commands.CarpAddressChecks", throwOnError: true)!.GetProperty("OwnAddresses", BindingFlags.Static | BindingFlags.NonPublic)!;

    private void Use(ICarpService service)
    {
        _originalFactory ??= ModuleHooks.LocalFactory;
        ModuleHooks.LocalFactory = () => service;
    }

    /// <summary>The in-process engine on a host that has an interface named <c>hostInterface</c>, as LinuxWire refuses it.</summary>
    private sealed class HostInterfaceService(string hostInterface) : ICarpService
    {
        private readonly FakeCarpService _inner = new();

        public IReadOnlyList<VirtualHostStatus> GetInterfaces() => _inner.GetInterfaces();

        public VirtualHostStatus CreateInterface(VirtualHostConfig config) => config.Name == hostInterface
            ? throw new CarpException(CarpErrorCode.InterfaceExists,
                $"An interface named {config.Name} already exists on this host and is not a carp interface's macvlan: a carp interface needs a name of its own.")
            : _inner.CreateInterface(config);

        public VirtualHostStatus SetInterface(string name, InterfaceChange change) => _inner.SetInterface(name, change);

        public void RemoveInterface(string name) => _inner.RemoveInterface(name);

        public bool PassMatches(string name, Carp.Engine.Protocol.CarpKey pass) => _inner.PassMatches(name, pass);

        public CarpSysctls GetSysctls() => _inner.GetSysctls();

        public CarpSysctls SetSysctl(string name, long value) => _inner.SetSysctl(name, value);

        public CarpStatisticsSnapshot GetStatistics() => _inner.GetStatistics();

        public void ResetStatistics() => _inner.ResetStatistics();

        public IDisposable Subscribe(Action<CarpEvent> handler) => _inner.Subscribe(handler);

        public void Dispose() => _inner.Dispose();
    }
}
