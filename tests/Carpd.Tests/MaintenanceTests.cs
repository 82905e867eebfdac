using System.Collections.Concurrent;
using Carp.Control;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carpd.Configuration;

namespace Carpd.Tests;

/// <summary>
/// Maintenance mode in carpd (docs/protocol.md#maintenance): the <c>maintenance</c> keyword reads and writes back, a
/// change through the socket is saved, and the file's value is honoured at start and on reload; the control protocol
/// carries it both ways, with its event.
/// </summary>
public sealed class MaintenanceTests : IDisposable
{
    private const string Original =
        "net.inet.carp.preempt=1\n" +
        "carp1 vhid 1 carpdev eth0 pass lanpasswd 192.0.2.100/24\n" +
        "carp2 vhid 2 carpdev eth0 advskew 100 maintenance 198.51.100.10/24\n";

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void The_keyword_reads_and_formats_back_unchanged()
    {
        var path = _dir.Write("carpd.conf", Original);

        var configuration = CarpdConfiguration.Load(path);

        Assert.False(configuration.Find("carp1")!.Maintenance);
        Assert.True(configuration.Find("carp2")!.Maintenance);
        configuration.Save(path, File.ReadAllBytes(path));
        Assert.Equal(Original, File.ReadAllText(path));
        Assert.Contains(configuration.Describe(), l => l.StartsWith("carp2:", StringComparison.Ordinal) && l.Contains(" maintenance ", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("carp1 vhid 1 carpdev eth0 maintenance maintenance 192.0.2.100/24", "'maintenance' is given twice")]
    [InlineData("carp1 vhid 1 carpdev eth0 maintenanse 192.0.2.100/24", "did you mean 'maintenance'")]
    public void A_misused_keyword_is_refused_with_its_line(string line, string problem)
    {
        var path = _dir.Write("carpd.conf", line + "\n");

        var ex = Assert.Throws<CarpdConfigurationException>(() => CarpdConfiguration.Load(path));

        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, ex.Line);
    }

    [Fact]
    public void Suspend_and_resume_through_the_service_are_saved_and_a_restart_honours_them()
    {
        var path = _dir.Write("carpd.conf", Original);
        using (var service = Start(path, out var engine))
        {
            Assert.True(engine.GetInterfaces().Single(s => s.Name == "carp2").Maintenance);

            service.SetInterface("carp1", new InterfaceChange { Maintenance = true });
            service.SetInterface("carp2", new InterfaceChange { Maintenance = false });

            Assert.Equal(
                "net.inet.carp.preempt=1\ncarp1 vhid 1 carpdev eth0 pass lanpasswd maintenance 192.0.2.100/24\n" +
                "carp2 vhid 2 carpdev eth0 advskew 100 198.51.100.10/24\n",
                File.ReadAllText(path));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        // carpd starts again from the file it saved.
        using var restarted = Start(path, out var again);
        var statuses = again.GetInterfaces().ToDictionary(s => s.Name, StringComparer.Ordinal);
        Assert.True(statuses["carp1"].Maintenance);
        Assert.False(statuses["carp2"].Maintenance);
    }

    [Fact]
    public void A_reload_applies_the_keyword_in_place()
    {
        var path = _dir.Write("carpd.conf", Original);
        using var service = Start(path, out var engine);
        var events = new ConcurrentQueue<CarpEvent>();
        using var subscription = engine.Subscribe(events.Enqueue);
        var log = new JournalLog(new StringWriter(), verbose: true);
        var reloader = new ConfigurationReloader(service, log, new SystemdNotifier(null, log));
        var before = engine.GetInterfaces().Single(s => s.Name == "carp1");

        _dir.Write("carpd.conf", Original.Replace("lanpasswd 192", "lanpasswd maintenance 192", StringComparison.Ordinal)
            .Replace(" maintenance 198", " 198", StringComparison.Ordinal));
        var result = reloader.Reload("test");

        Assert.Equal(["carp1", "carp2"], result.Changed.Order());
        var after = engine.GetInterfaces().ToDictionary(s => s.Name, StringComparer.Ordinal);
        Assert.True(after["carp1"].Maintenance);
        Assert.False(after["carp2"].Maintenance);
        Assert.Equal(before.Vhid, after["carp1"].Vhid);
        Assert.True(SpinWait.SpinUntil(() => events.OfType<CarpMaintenanceChangedEvent>().Count() == 2, TimeSpan.FromSeconds(10)));
        Assert.Contains(events, e => e is CarpMaintenanceChangedEvent { Interface: "carp1", Maintenance: true });
        Assert.Contains(events, e => e is CarpMaintenanceChangedEvent { Interface: "carp2", Maintenance: false });
    }

    [Fact]
    public void Forcing_master_on_a_suspended_interface_is_refused_and_changes_nothing()
    {
        var path = _dir.Write("carpd.conf", Original);
        using var service = Start(path, out var engine);
        var text = File.ReadAllText(path);

        var ex = Assert.Throws<CarpException>(() => service.SetInterface("carp2", new InterfaceChange { State = CarpState.Master }));

        Assert.Equal(CarpErrorCode.InterfaceSuspended, ex.Code);
        Assert.Equal(CarpState.Backup, engine.GetInterfaces().Single(s => s.Name == "carp2").State);
        Assert.Equal(text, File.ReadAllText(path));
        Assert.Contains("Resume", CarpdAdvice.For(ex.Code), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_control_protocol_carries_maintenance_both_ways_and_its_event()
    {
        using var h = new ControlHarness();
        h.Client.CreateInterface(ControlHarness.Carp1() with { Maintenance = true });
        Assert.True(h.Fake.LastCreated!.Maintenance);
        Assert.True(Assert.Single(h.Client.GetInterfaces()).Maintenance);

        var status = h.Client.SetInterface("carp1", new InterfaceChange { Maintenance = false });

        Assert.False(h.Fake.LastChange!.Value.Change.Maintenance);
        Assert.False(status.Maintenance);

        var received = new TaskCompletionSource<CarpEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = h.Client.Subscribe(e => received.TrySetResult(e));
        await h.Fake.FirstSubscriber.Task.WaitAsync(ControlHarness.Patience, TestContext.Current.CancellationToken);
        var at = new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);
        h.Fake.Raise(new CarpMaintenanceChangedEvent { Timestamp = at, Interface = "carp1", Vhid = 1, Maintenance = true });

        var e = await received.Task.WaitAsync(ControlHarness.Patience, TestContext.Current.CancellationToken);
        Assert.Equal(new CarpMaintenanceChangedEvent { Timestamp = at, Interface = "carp1", Vhid = 1, Maintenance = true }, e);
    }

    private static PersistingCarpService Start(string path, out ICarpService engine)
    {
        var configuration = CarpdConfiguration.Load(path);
        engine = CarpServices.CreateInMemory(new CarpServiceOptions { Sysctls = configuration.Sysctls }, "eth0");
        foreach (var config in configuration.Interfaces)
        {
            engine.CreateInterface(config);
        }

        return new PersistingCarpService(engine, configuration, path);
    }
}
