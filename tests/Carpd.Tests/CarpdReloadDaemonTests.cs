using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Carp.Control;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace Carpd.Tests;

/// <summary>
/// <c>systemctl reload carpd</c> end to end: the carpd executable on a simulated LAN under a NOTIFY_SOCKET
/// applies an edited file on SIGHUP between RELOADING=1 and READY=1, and its <c>reload</c> method refuses
/// a broken file naming the line, changing nothing.
/// </summary>
public sealed class CarpdReloadDaemonTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private const string Original =
        "carp1 vhid 1 carpdev sim0 pass lanpasswd 192.0.2.100/24\n" +
        "carp2 vhid 2 carpdev sim0 pass wanpasswd advskew 100 198.51.100.10/24\n";

    private readonly TempDirectory _dir = new();
    private readonly Socket _notify = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly StringBuilder _log = new();
    private readonly string _config;
    private readonly string _socketPath;
    private Process? _process;

    public CarpdReloadDaemonTests()
    {
        _config = _dir.Write("carpd.conf", Original);
        _socketPath = _dir.File("run/carpd.sock");
        _notify.Bind(new UnixDomainSocketEndPoint(_dir.File("notify")));
        _notify.ReceiveTimeout = (int)Patience.TotalMilliseconds;
    }

    public void Dispose()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit(Patience);
        }

        _process?.Dispose();
        _notify.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task SIGHUP_applies_the_edited_file_between_RELOADING_and_READY_and_carpd_runs_on()
    {
        Start();
        using var client = new CarpdClient(_socketPath, Patience);
        client.SetInterface("carp1", new InterfaceChange { State = CarpState.Master });
        var carp1 = Status(client, "carp1");

        _dir.Write("carpd.conf", "net.inet.carp.log=2\n" + Original.Replace("advskew 100", "advskew 200", StringComparison.Ordinal) +
            "carp3 vhid 3 carpdev sim0 203.0.113.10/24\n");
        await Signal("HUP");

        var reloading = Receive();
        Assert.StartsWith("RELOADING=1\n", reloading, StringComparison.Ordinal);
        Assert.Contains("MONOTONIC_USEC=", reloading, StringComparison.Ordinal);
        Assert.StartsWith("READY=1\n", Receive(), StringComparison.Ordinal);
        Assert.False(_process!.HasExited);
        Assert.Equal(200, Status(client, "carp2").AdvSkew);
        Assert.Equal(CarpState.Backup, Status(client, "carp3").State);
        Assert.Equal(2, client.GetSysctls().Log);
        var after = Status(client, "carp1");
        Assert.Equal(CarpState.Master, after.State);
        Assert.Equal(carp1.Transitions, after.Transitions);
        Assert.Equal(carp1.LastTransition, after.LastTransition);

        // Read the log once carpd has exited: its stderr is then drained, so the reload's line cannot still be on its way.
        await Stop();
        Assert.Contains("reloaded", Log(), StringComparison.Ordinal);
        Assert.DoesNotContain("passwd", Log(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_reload_method_refuses_a_broken_file_naming_the_line_and_changes_nothing()
    {
        Start();
        using var client = new CarpdClient(_socketPath, Patience);
        // Alone on the segment, both become MASTER after master-down: compare once they are, so no election moves under the check.
        Assert.True(SpinWait.SpinUntil(() => client.GetInterfaces().All(s => s.State == CarpState.Master), TimeSpan.FromSeconds(15)),
            "the interfaces never settled as MASTER");
        var before = client.GetInterfaces().Select(s => (s.Name, s.AdvSkew, s.Transitions)).ToList();
        _dir.Write("carpd.conf", "carp1 vhid 1 carpdev sim0 pass lanpasswd advskew 5 192.0.2.100/24\ncarp2 vhid 2 carpdev sim0 advbase 0\n");

        using (var raw = await RawConnection.OpenAsync(_socketPath))
        {
            var reply = await raw.ExchangeAsync("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"reload\"}");
            var error = reply.GetProperty("error");
            Assert.Equal(CarpdProtocol.ErrorCodes.CarpError, error.GetProperty("code").GetInt32());
            Assert.Contains("carpd.conf:2:", error.GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.Equal(nameof(CarpErrorCode.InvalidAdvBase), error.GetProperty("data").GetProperty("code").GetString());
        }

        Assert.StartsWith("RELOADING=1\n", Receive(), StringComparison.Ordinal);
        Assert.StartsWith("READY=1\n", Receive(), StringComparison.Ordinal);
        Assert.Equal(before, client.GetInterfaces().Select(s => (s.Name, s.AdvSkew, s.Transitions)).ToList());

        // Fixed, the same method applies it and says what it did.
        _dir.Write("carpd.conf", Original.Replace("advskew 100", "advskew 5", StringComparison.Ordinal));
        var result = client.Reload();
        Assert.Equal(["carp2"], result.Changed);
        Assert.Equal(["carp1"], result.Unchanged);
        Assert.Equal(5, Status(client, "carp2").AdvSkew);
        await Stop();
    }

    private void Start()
    {
        var start = new ProcessStartInfo(CarpdDaemonTests.FindCarpd()) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "--simulate", "--config", _config, "--socket", _socketPath })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["NOTIFY_SOCKET"] = _dir.File("notify");
        _process = Process.Start(start)!;
        _process.ErrorDataReceived += (_, e) =>
        {
            lock (_log)
            {
                _log.AppendLine(e.Data);
            }
        };
        _process.BeginErrorReadLine();
        Assert.Contains("READY=1", Receive(), StringComparison.Ordinal);
    }

    private async Task Stop()
    {
        await Signal("TERM");
        using var timeout = new CancellationTokenSource(Patience);
        await _process!.WaitForExitAsync(timeout.Token);
        Assert.Equal(0, _process.ExitCode);
    }

    private async Task Signal(string name)
    {
        using var kill = Process.Start("kill", [$"-{name}", _process!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, kill.ExitCode);
    }

    private string Receive()
    {
        var buffer = new byte[4096];
        return Encoding.UTF8.GetString(buffer, 0, _notify.Receive(buffer));
    }

    private string Log()
    {
        lock (_log)
        {
            return _log.ToString();
        }
    }

    private static VirtualHostStatus Status(CarpdClient client, string name) => client.GetInterfaces().Single(s => s.Name == name);
}
