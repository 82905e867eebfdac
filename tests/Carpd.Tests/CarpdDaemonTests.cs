using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carpd.Configuration;
using Carp.Control;
using Carp.Engine.Protocol;

namespace Carpd.Tests;

/// <summary>
/// The carpd executable end to end on a simulated LAN: started like systemd does (NOTIFY_SOCKET),
/// driven through its socket, stopped with SIGTERM. Needs carpd built next to the tests
/// (artifacts/bin/carpd/&lt;config&gt;/carpd) or CARPD_PATH; skipped otherwise.
/// </summary>
public sealed class CarpdDaemonTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Check_config_prints_a_summary_without_passes_and_exits_0_or_1()
    {
        var carpd = FindCarpd();
        var good = _dir.Write("good.conf", "net.inet.carp.preempt=1\ncarp1 vhid 1 carpdev eth0 pass Hunter2Secret 192.0.2.100/24\n");
        var bad = _dir.Write("bad.conf", "carp1 vhid 1 carpdev eth0 pass Hunter2Secret advskew 999\n");

        var (code, output, errors) = Run(carpd, "--check-config", good);
        Assert.Equal(0, code);
        Assert.Contains("carp1: vhid 1 carpdev eth0", output);
        Assert.Contains("pass set", output);
        Assert.DoesNotContain("Hunter2", output + errors);

        (code, output, errors) = Run(carpd, "--check-config", bad);
        Assert.Equal(1, code);
        Assert.Contains("bad.conf:1:", errors);
        Assert.DoesNotContain("Hunter2", output + errors);

        Assert.Equal(2, Run(carpd, "--no-such-option").Code);
    }

    [Fact]
    public async Task Runs_under_a_notify_socket_serves_persists_and_stops_cleanly_on_SIGTERM()
    {
        var carpd = FindCarpd();
        var config = _dir.Write("carpd.conf", "# fw1\nnet.inet.carp.preempt=1\ncarp1 vhid 1 carpdev sim0 pass lanpasswd 192.0.2.100/24\n");
        var socketPath = _dir.File("run/carpd.sock");
        var notifyPath = _dir.File("notify");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(notifyPath));
        notify.ReceiveTimeout = (int)Patience.TotalMilliseconds;

        var start = new ProcessStartInfo(carpd) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "--simulate", "--config", config, "--socket", socketPath })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["NOTIFY_SOCKET"] = notifyPath;
        using var process = Process.Start(start)!;
        var log = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            lock (log)
            {
                log.AppendLine(e.Data);
            }
        };
        process.BeginErrorReadLine();
        try
        {
            Assert.Contains("READY=1", Receive(notify));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(socketPath));

            using (var client = new CarpdClient(socketPath, Patience))
            {
                Assert.Equal("carp1", Assert.Single(client.GetInterfaces()).Name);
                Assert.True(client.GetSysctls().Preempt);
                client.CreateInterface(new VirtualHostConfig
                {
                    Name = "carp2", Vhid = 2, CarpDev = "sim0", Key = CarpKey.FromPassphrase("wanpasswd"), AdvSkew = 128,
                    Addresses = [CarpAddress.Parse("198.51.100.10/24")],
                });
                client.SetSysctl("log", 2);
            }

            Assert.Equal(
                "# fw1\nnet.inet.carp.preempt=1\nnet.inet.carp.log=2\ncarp1 vhid 1 carpdev sim0 pass lanpasswd 192.0.2.100/24\n" +
                "carp2 vhid 2 carpdev sim0 pass wanpasswd advskew 128 198.51.100.10/24\n",
                File.ReadAllText(config));

            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()]))
            {
                await kill.WaitForExitAsync(TestContext.Current.CancellationToken);
            }

            Assert.Contains("STOPPING=1", Receive(notify));
            using var timeout = new CancellationTokenSource(Patience);
            await process.WaitForExitAsync(timeout.Token);
            Assert.Equal(0, process.ExitCode);
            Assert.False(File.Exists(socketPath));
            string text;
            lock (log)
            {
                text = log.ToString();
            }

            Assert.Contains("<6>carpd stopped", text);
            Assert.DoesNotContain("lanpasswd", text);
            Assert.DoesNotContain("wanpasswd", text);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    [Fact]
    public void A_config_that_others_can_read_stops_carpd_with_exit_1()
    {
        var carpd = FindCarpd();
        var config = _dir.Write("carpd.conf", "carp1 vhid 1 carpdev sim0 pass lanpasswd\n",
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        var (code, _, errors) = Run(carpd, "--simulate", "--config", config, "--socket", _dir.File("c.sock"));

        Assert.Equal(1, code);
        Assert.Contains("<3>", errors);
        Assert.Contains("chmod 600", errors);
        Assert.DoesNotContain("lanpasswd", errors);
    }

    private static string Receive(Socket notify)
    {
        var buffer = new byte[4096];
        return Encoding.UTF8.GetString(buffer, 0, notify.Receive(buffer));
    }

    internal static (int Code, string Output, string Errors) Run(string carpd, params string[] args)
    {
        var start = new ProcessStartInfo(carpd) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Patience))
        {
            process.Kill();
            throw new TimeoutException($"carpd {string.Join(' ', args)} did not exit.");
        }

        return (process.ExitCode, output.Result, errors.Result);
    }

    internal static string FindCarpd()
    {
        if (Environment.GetEnvironmentVariable("CARPD_PATH") is { Length: > 0 } configured)
        {
            return configured;
        }

        // artifacts/bin/Carp.Engine.Tests/<config>/ → artifacts/bin/carpd/<config>/carpd
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        var candidate = Path.Combine(here.Parent!.Parent!.FullName, "carpd", here.Name, "carpd");
        if (!File.Exists(candidate))
        {
            Assert.Skip($"carpd is not built at {candidate} (build src/carpd with the same --artifacts-path, or set CARPD_PATH).");
        }

        return candidate;
    }
}
