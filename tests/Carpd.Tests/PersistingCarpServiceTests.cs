using System.Collections.Concurrent;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carpd.Configuration;
using Carp.Engine.Protocol;

namespace Carpd.Tests;

public sealed class PersistingCarpServiceTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FakeCarpService _fake = new();
    private readonly ConcurrentQueue<(CarpLogLevel Level, string Line)> _log = new();

    public void Dispose() => _dir.Dispose();

    private (PersistingCarpService Service, string Path) Start(string text)
    {
        var path = _dir.Write("carpd.conf", text);
        var config = CarpdConfiguration.Load(path);
        foreach (var (name, value) in config.ChangedSysctls())
        {
            _fake.SetSysctl(name, value);
        }

        foreach (var vhost in config.Interfaces)
        {
            _fake.CreateInterface(vhost);
        }

        return (new PersistingCarpService(_fake, config, path, (level, line) => _log.Enqueue((level, line))), path);
    }

    [Fact]
    public void Every_accepted_change_is_written_back()
    {
        var (service, path) = Start("# site A\nnet.inet.carp.preempt=1\ncarp1 vhid 1 carpdev eth0 pass lanpasswd 192.0.2.100/24\n");

        service.CreateInterface(new VirtualHostConfig
        {
            Name = "carp2", Vhid = 2, CarpDev = "eth1", Key = CarpKey.FromPassphrase("wanpasswd"), AdvSkew = 128,
            Addresses = [CarpAddress.Parse("198.51.100.10/24")],
        });
        service.SetInterface("carp1", new InterfaceChange { AdvSkew = 50 });
        service.SetSysctl("log", 2);
        Assert.Equal(
            "# site A\nnet.inet.carp.preempt=1\nnet.inet.carp.log=2\ncarp1 vhid 1 carpdev eth0 pass lanpasswd advskew 50 192.0.2.100/24\n" +
            "carp2 vhid 2 carpdev eth1 pass wanpasswd advskew 128 198.51.100.10/24\n",
            File.ReadAllText(path));

        service.RemoveInterface("carp1");
        Assert.Equal(
            "# site A\nnet.inet.carp.preempt=1\nnet.inet.carp.log=2\ncarp2 vhid 2 carpdev eth1 pass wanpasswd advskew 128 198.51.100.10/24\n",
            File.ReadAllText(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        CarpdConfigurationTests.AssertSame(service.Configuration, CarpdConfiguration.Load(path));
        Assert.DoesNotContain(_log, l => l.Line.Contains("passwd", StringComparison.Ordinal));
    }

    [Fact]
    public void Refused_and_run_time_only_changes_leave_the_file_alone()
    {
        const string text = "carp1 vhid 1 carpdev eth0 pass lanpasswd   # keep my spacing\n";
        var (service, path) = Start(text);
        var written = File.GetLastWriteTimeUtc(path);

        _fake.NextError = new CarpException(CarpErrorCode.DuplicateVhid, "no.");
        Assert.Throws<CarpException>(() => service.CreateInterface(new VirtualHostConfig { Name = "carp2", Vhid = 1, CarpDev = "eth0" }));
        Assert.Throws<CarpException>(() => service.SetSysctl("dscp", 99));
        Assert.Throws<CarpException>(() => service.RemoveInterface("nosuch"));
        service.SetInterface("carp1", new InterfaceChange { State = CarpState.Master, DemoteAdjustment = 1 });

        Assert.Equal(text, File.ReadAllText(path));
        Assert.Equal(written, File.GetLastWriteTimeUtc(path));
        Assert.Single(_dir.Path is var d ? Directory.GetFiles(d, "carpd.conf*") : []);
    }

    [Fact]
    public void A_hand_edit_made_while_running_is_kept_as_a_backup()
    {
        var (service, path) = Start("carp1 vhid 1 carpdev eth0\n");
        File.WriteAllText(path, "carp1 vhid 1 carpdev eth0\ncarp7 vhid 7 carpdev eth0 # added by hand\n");

        service.SetSysctl("preempt", 1);

        Assert.Equal("carp1 vhid 1 carpdev eth0\ncarp7 vhid 7 carpdev eth0 # added by hand\n", File.ReadAllText(path + ".bak"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path + ".bak"));
        Assert.Contains(_log, l => l.Level == CarpLogLevel.Warning && l.Line.Contains(".bak", StringComparison.Ordinal));
        Assert.Equal("net.inet.carp.preempt=1\ncarp1 vhid 1 carpdev eth0\n", File.ReadAllText(path));
    }

    [Fact]
    public void A_failed_save_is_logged_and_the_change_still_stands()
    {
        var (service, path) = Start("carp1 vhid 1 carpdev eth0\n");
        File.Delete(path);
        Directory.CreateDirectory(path); // a directory where the file was: the rename fails

        var sysctls = service.SetSysctl("preempt", 1);

        Assert.True(sysctls.Preempt);
        Assert.True(service.Configuration.Sysctls.Preempt);
        Assert.Contains(_log, l => l.Level == CarpLogLevel.Error && l.Line.Contains("lost when carpd restarts", StringComparison.Ordinal));
        Assert.Empty(Directory.GetFiles(_dir.Path, ".*.tmp"));
    }

    [Fact]
    public void Reads_and_events_pass_through_and_dispose_disposes_the_engine()
    {
        var (service, _) = Start("carp1 vhid 1 carpdev eth0\n");
        CarpEvent? seen = null;
        using (service.Subscribe(e => seen = e))
        {
            var carpEvent = new CarpStateChangedEvent
            {
                Timestamp = DateTimeOffset.UnixEpoch, Interface = "carp1", Vhid = 1,
                OldState = CarpState.Init, NewState = CarpState.Backup, Reason = TransitionReason.Started,
            };
            _fake.Raise(carpEvent);
            Assert.Same(carpEvent, seen);
        }

        Assert.Equal("carp1", Assert.Single(service.GetInterfaces()).Name);
        Assert.Equal(CarpSysctls.Default, service.GetSysctls());
        Assert.Equal(0, service.GetStatistics().IPackets);
        service.ResetStatistics();
        service.Dispose();
        Assert.True(_fake.Disposed);
    }
}
