using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using Carp.Control;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carpd.Control;

namespace Carpd.Tests;

/// <summary><c>getState</c> and <c>carpd --status [--json] [--output FILE]</c>: the whole state as JSON, never a pass, written atomically.</summary>
public sealed class CarpdStateTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly TempDirectory _dir = new();
    private Process? _process;

    public void Dispose()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit(Patience);
        }

        _process?.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task GetState_returns_interfaces_maintenance_sysctls_and_statistics_without_a_pass()
    {
        using var harness = new ControlHarness();
        harness.Fake.CreateInterface(ControlHarness.Carp1() with { Maintenance = true });
        harness.Fake.SetStatistics([5, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 7, 0, 0, 0, 1]);
        using var raw = await RawConnection.OpenAsync(harness.Server.SocketPath);
        var reply = await raw.ExchangeAsync("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"getState\"}");
        var text = reply.GetRawText();
        var state = reply.GetProperty("result");

        Assert.Equal("carpd", state.GetProperty("server").GetString());
        Assert.Equal(CarpdProtocol.Version, state.GetProperty("protocol").GetInt32());
        var carp1 = Assert.Single(state.GetProperty("interfaces").EnumerateArray());
        Assert.Equal("carp1", carp1.GetProperty("name").GetString());
        Assert.Equal("Backup", carp1.GetProperty("state").GetString());
        Assert.True(carp1.GetProperty("hasPass").GetBoolean());
        Assert.Equal(["carp1"], state.GetProperty("maintenance").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(1, state.GetProperty("sysctls").GetProperty("allow").GetInt64());
        Assert.Equal(2, state.GetProperty("statistics").GetProperty("BadAuth").GetInt64());
        Assert.Equal(7, state.GetProperty("statistics").GetProperty("OPackets").GetInt64());
        Assert.False(state.TryGetProperty("daemon", out _)); // a server without carpd's completion
        Assert.DoesNotContain("lanpasswd", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String("lanpasswd"u8), text, StringComparison.Ordinal);
    }

    [Fact]
    public void CompleteState_adds_carpd_s_own_part()
    {
        using var dir = new TempDirectory();
        using var fake = new FakeCarpService();
        using var server = CarpControlServer.Start(fake, dir.File("carpd.sock"), new CarpControlServerOptions
        {
            CompleteState = state => state with { Daemon = new CarpdDaemonStateDto { Pid = 42, MetricsListen = "127.0.0.1:9651" } },
        });
        using var client = new CarpdClient(server.SocketPath, Patience);
        var daemon = client.GetState().GetProperty("daemon");
        Assert.Equal(42, daemon.GetProperty("pid").GetInt32());
        Assert.Equal("127.0.0.1:9651", daemon.GetProperty("metricsListen").GetString());
    }

    [Fact]
    public void Carpd_status_json_prints_the_running_carpd_s_whole_state_and_output_replaces_the_file_atomically_mode_0644()
    {
        var carpd = CarpdDaemonTests.FindCarpd();
        var socket = Start(carpd);
        using (var client = new CarpdClient(socket, Patience))
        {
            Assert.True(SpinWait.SpinUntil(() => client.GetInterfaces().Single().State == CarpState.Master, Patience), "carp1 never became MASTER");
        }

        var (code, output, errors) = CarpdDaemonTests.Run(carpd, "--status", "--json", "--socket", socket);
        Assert.True(code == 0, errors);
        using (var json = JsonDocument.Parse(output))
        {
            var state = json.RootElement;
            var carp1 = Assert.Single(state.GetProperty("interfaces").EnumerateArray());
            Assert.Equal("Master", carp1.GetProperty("state").GetString());
            Assert.Equal(1, state.GetProperty("transitionsByReason").GetProperty("carp1").GetProperty("MasterDown").GetInt64());
            Assert.Equal(1, state.GetProperty("transitionsByReason").GetProperty("carp1").GetProperty("Started").GetInt64());
            Assert.Equal(_process!.Id, state.GetProperty("daemon").GetProperty("pid").GetInt32());
            Assert.True(state.GetProperty("daemon").GetProperty("simulated").GetBoolean());
            Assert.False(state.GetProperty("daemon").TryGetProperty("metricsListen", out _));
            Assert.Equal(1, state.GetProperty("sysctls").GetProperty("preempt").GetInt64());
            Assert.True(state.GetProperty("statistics").GetProperty("OPackets").GetInt64() > 0);
        }

        Assert.DoesNotContain("lanpasswd", output, StringComparison.Ordinal);
        Assert.Contains("+00:00", output, StringComparison.Ordinal); // relaxed escaping for people reading it

        // --output: the file is replaced by a rename (a new inode), never rewritten in place, and readable by a monitoring agent.
        Directory.CreateDirectory(_dir.File("state"));
        var path = _dir.Write("state/carpd.json", "old content that must vanish entirely\n");
        var before = Inode(path);
        (code, _, errors) = CarpdDaemonTests.Run(carpd, "--status", "--json", "--output", path, "--socket", socket);
        Assert.True(code == 0, errors);
        Assert.NotEqual(before, Inode(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(path));
        using (var written = JsonDocument.Parse(File.ReadAllText(path)))
        {
            Assert.Equal("carp1", written.RootElement.GetProperty("interfaces")[0].GetProperty("name").GetString());
        }

        Assert.Equal(["carpd.json"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName)); // no temporary file left

        // Without --json: one line per interface.
        (code, output, _) = CarpdDaemonTests.Run(carpd, "--status", "--socket", socket);
        Assert.Equal(0, code);
        Assert.StartsWith("carp1 vhid 1 on sim0: Master", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Carpd_status_without_a_running_carpd_fails_with_advice_and_writes_no_file()
    {
        var carpd = CarpdDaemonTests.FindCarpd();
        var path = _dir.File("state.json");
        var (code, output, errors) = CarpdDaemonTests.Run(carpd, "--status", "--json", "--output", path, "--socket", _dir.File("none.sock"));
        Assert.Equal(1, code);
        Assert.Empty(output);
        Assert.Contains("none.sock", errors, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Theory]
    [InlineData("--json")]
    [InlineData("--output", "x.json")]
    [InlineData("--status", "--config", "/etc/carpd/carpd.conf")]
    [InlineData("--status", "--simulate")]
    public void Status_options_that_do_not_go_together_are_refused(params string[] args)
    {
        Assert.Null(CarpdOptions.Parse(args, out var error));
        Assert.NotNull(error);
    }

    private string Start(string carpd)
    {
        var config = _dir.Write("carpd.conf", "net.inet.carp.preempt=1\ncarp1 vhid 1 carpdev sim0 pass lanpasswd 192.0.2.100/24\n");
        var socket = _dir.File("run/carpd.sock");
        var notifyPath = _dir.File("notify");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(notifyPath));
        notify.ReceiveTimeout = (int)Patience.TotalMilliseconds;
        var start = new ProcessStartInfo(carpd) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "--simulate", "--config", config, "--socket", socket })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["NOTIFY_SOCKET"] = notifyPath;
        _process = Process.Start(start)!;
        _process.BeginErrorReadLine();
        var buffer = new byte[4096];
        Assert.Contains("READY=1", System.Text.Encoding.UTF8.GetString(buffer, 0, notify.Receive(buffer)), StringComparison.Ordinal);
        return socket;
    }

    private static string Inode(string path)
    {
        using var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%i", path]) { RedirectStandardOutput = true })!;
        var inode = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        Assert.Equal(0, stat.ExitCode);
        return inode;
    }
}
