using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Carpd.Tests;

/// <summary>
/// carpd under a systemd watchdog (WATCHDOG_USEC): WATCHDOG=1 arrives at least every third of the interval while the
/// engine runs, and stops while the engine stands still (SIGSTOP), which is what makes systemd restart a wedged carpd.
/// </summary>
public sealed class SystemdWatchdogTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Carpd_feeds_the_watchdog_from_its_engine_and_stops_when_the_engine_stands_still()
    {
        var config = _dir.Write("carpd.conf", "carp1 vhid 1 carpdev sim0 pass watchdog 192.0.2.100/24\n");
        var notifyPath = _dir.File("notify");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(notifyPath));
        var start = new ProcessStartInfo(CarpdDaemonTests.FindCarpd()) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "--simulate", "--config", config, "--socket", _dir.File("carpd.sock") })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["NOTIFY_SOCKET"] = notifyPath;
        start.Environment["WATCHDOG_USEC"] = "300000";
        using var carpd = Process.Start(start)!;
        carpd.BeginErrorReadLine();
        carpd.BeginOutputReadLine();
        try
        {
            Assert.True(Receive(notify, "READY=1", TimeSpan.FromSeconds(20)) is not null, "carpd did not report READY=1");

            // 0.3 s interval: a WATCHDOG=1 every 0.1 s (at most a second apart even when the engine has nothing to do).
            var clock = Stopwatch.StartNew();
            var beats = 0;
            while (clock.Elapsed < TimeSpan.FromSeconds(1.2) && Receive(notify, "WATCHDOG=1", TimeSpan.FromSeconds(1.2)) is not null)
            {
                beats++;
            }

            Assert.True(beats >= 3, $"{beats} WATCHDOG=1 in 1.2 s with WATCHDOG_USEC=300000");

            Signal(carpd, "STOP");
            Drain(notify);
            Assert.Null(Receive(notify, "WATCHDOG=1", TimeSpan.FromMilliseconds(600)));

            Signal(carpd, "CONT");
            Assert.NotNull(Receive(notify, "WATCHDOG=1", TimeSpan.FromSeconds(2)));
        }
        finally
        {
            if (!carpd.HasExited)
            {
                carpd.Kill();
                carpd.WaitForExit();
            }
        }
    }

    private static void Signal(Process process, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>The next datagram that contains <paramref name="wanted"/> within <paramref name="timeout"/>, or null.</summary>
    private static string? Receive(Socket socket, string wanted, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        var buffer = new byte[4096];
        while (clock.Elapsed < timeout)
        {
            socket.ReceiveTimeout = Math.Max(1, (int)(timeout - clock.Elapsed).TotalMilliseconds);
            try
            {
                var text = Encoding.UTF8.GetString(buffer, 0, socket.Receive(buffer));
                if (text.Contains(wanted, StringComparison.Ordinal))
                {
                    return text;
                }
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.TimedOut)
            {
                return null;
            }
        }

        return null;
    }

    /// <summary>Discards what was sent before the engine stopped (a datagram may have been on its way).</summary>
    private static void Drain(Socket socket)
    {
        var buffer = new byte[4096];
        while (socket.Available > 0)
        {
            socket.Receive(buffer);
        }
    }
}
