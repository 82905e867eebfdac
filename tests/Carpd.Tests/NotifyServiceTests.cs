using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;
using Carpd.Configuration;
using Carpd.Notify;

namespace Carpd.Tests;

/// <summary>What <see cref="NotifyService"/> makes of the engine's state changes: states, numbering, matching, details (docs/protocol.md#notify-states).</summary>
public sealed class NotifyServiceTests : IDisposable
{
    private const UnixFileMode Executable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_carpdev_failure_is_a_fault_and_the_way_back_starts_from_fault_with_the_vhosts_details()
    {
        var log = _dir.File("hook.log");
        var hook = _dir.Write("hook", "#!/bin/sh\n" + $"echo \"$* $CARP_PROTOCOL $CARP_EVENT_SEQUENCE $CARP_ADDRESSES\" >> {log}\n", Executable);
        var configuration = CarpdConfiguration.Empty with
        {
            Interfaces =
            [
                new VirtualHostConfig { Name = "vrrp1", Vhid = 10, CarpDev = "em0", Protocol = VirtualHostProtocol.Vrrp, Priority = 200, Groups = ["wan"], Addresses = [CarpAddress.Parse("192.0.2.1/24")] },
                new VirtualHostConfig { Name = "carp1", Vhid = 1, CarpDev = "em0", AdvSkew = 100, Addresses = [CarpAddress.Parse("192.0.2.2/24"), CarpAddress.Parse("2001:db8::2/64")] },
            ],
            Notify = new NotifySettings
            {
                Hooks = [new NotifyHook(NotifyState.Fault, hook, [], []), new NotifyHook(NotifyState.Backup, hook, [], ["wan"]), new NotifyHook(NotifyState.Init, hook, ["carp1"], [])],
            },
        };
        var service = new FakeCarpService();
        using var notify = new NotifyService(service, () => configuration, (_, _) => { });

        service.Raise(Change("vrrp1", 10, CarpState.Backup, CarpState.Init, TransitionReason.CarpDevDown));
        service.Raise(Change("vrrp1", 10, CarpState.Init, CarpState.Backup, TransitionReason.Started));
        service.Raise(Change("carp1", 1, CarpState.Init, CarpState.Backup, TransitionReason.Started));   // no hook matches
        configuration = configuration with { Interfaces = [configuration.Interfaces[0]] };              // carp1 leaves the file first
        service.Raise(Change("carp1", 1, CarpState.Master, CarpState.Init, TransitionReason.Removed));

        Assert.True(notify.Runner.WaitIdle(Patience));
        Assert.Equal(4, notify.Sequence);
        Assert.Equal(
        [
            "carp1 1 init master Removed 100 carp 4 192.0.2.2/24 2001:db8::2/64",
            "vrrp1 10 fault backup CarpDevDown 200 vrrp 1 192.0.2.1/24",
            "vrrp1 10 backup fault Started 200 vrrp 2 192.0.2.1/24",
        ], File.ReadAllLines(log).OrderBy(l => l[..5], StringComparer.Ordinal)); // by interface: each queue in its own order
    }

    [Fact]
    public void Other_events_are_not_numbered_and_a_fifo_without_a_reader_counts_its_drops()
    {
        var configuration = CarpdConfiguration.Empty with { Notify = new NotifySettings { Fifo = _dir.File("events.fifo") } };
        var service = new FakeCarpService();
        var lines = new List<string>();
        using var notify = new NotifyService(service, () => configuration, (_, message) => lines.Add(message));
        service.Raise(new CarpMaintenanceChangedEvent { Timestamp = DateTimeOffset.UtcNow, Interface = "carp1", Vhid = 1, Maintenance = true });
        service.Raise(Change("carp1", 1, CarpState.Init, CarpState.Backup, TransitionReason.Started));
        service.Raise(Change("carp1", 1, CarpState.Backup, CarpState.Master, TransitionReason.MasterDown));
        Assert.Equal(2, notify.Sequence);
        Assert.Equal(2, notify.FifoDropped);
        Assert.Equal(0, notify.FifoWritten);
        Assert.Single(lines, l => l.Contains("no process reads it", StringComparison.Ordinal)); // once, not per event
    }

    private static CarpStateChangedEvent Change(string name, byte vhid, CarpState from, CarpState to, TransitionReason reason) => new()
    {
        Timestamp = DateTimeOffset.UtcNow, Interface = name, Vhid = vhid, OldState = from, NewState = to, Reason = reason,
    };
}
