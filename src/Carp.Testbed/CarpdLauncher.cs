using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Carp.Testbed;

/// <summary>Starts the built carpd inside a testbed namespace the way systemd does: NOTIFY_SOCKET, then wait for READY=1.</summary>
public static class CarpdLauncher
{
    /// <summary>CARPD_PATH, else carpd built beside the calling program: …/bin/&lt;program&gt;/&lt;config&gt;/ → …/bin/carpd/&lt;config&gt;/carpd.</summary>
    public static string BinaryPath
    {
        get
        {
            if (Environment.GetEnvironmentVariable("CARPD_PATH") is { Length: > 0 } configured)
            {
                return configured;
            }

            var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
            return Path.Combine(here.Parent!.Parent!.FullName, "carpd", here.Name, "carpd");
        }
    }

    /// <summary>
    /// Starts <c>carpd --socket SOCKET [--config CONFIG]</c> in <paramref name="ns"/> (killed with the testbed) and returns
    /// once it reported READY=1. Its stdout and stderr lines go to <paramref name="onLine"/>.
    /// </summary>
    public static Process Start(TestNetwork net, string ns, string socketPath, string? configPath = null, Action<string>? onLine = null, TimeSpan? timeout = null)
    {
        var binary = BinaryPath;
        if (!File.Exists(binary))
        {
            throw new FileNotFoundException($"carpd is not built at {binary}; build src/carpd or set CARPD_PATH.", binary);
        }

        var notifyPath = socketPath + ".notify";
        File.Delete(notifyPath);
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(notifyPath));

        var arguments = configPath is null ? new[] { "--socket", socketPath } : ["--config", configPath, "--socket", socketPath];
        var process = net.Start(ns, binary, new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notifyPath }, arguments);
        var output = new StringBuilder();
        void Line(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (output)
            {
                output.AppendLine(line);
            }

            onLine?.Invoke(line);
        }

        process.ErrorDataReceived += (_, e) => Line(e.Data);
        process.OutputDataReceived += (_, e) => Line(e.Data);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();

        var deadline = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(20);
        var buffer = new byte[4096];
        while (deadline.Elapsed < limit && !process.HasExited)
        {
            if (notify.Poll(200_000, SelectMode.SelectRead) &&
                Encoding.UTF8.GetString(buffer, 0, notify.Receive(buffer)).Split('\n').Contains("READY=1"))
            {
                return process;
            }
        }

        lock (output)
        {
            throw new TimeoutException($"carpd in {ns} did not report READY=1 (exited: {process.HasExited}):\n{output}");
        }
    }
}
