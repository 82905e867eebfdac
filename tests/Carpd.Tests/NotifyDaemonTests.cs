using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Carp.Control;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace Carpd.Tests;

/// <summary>
/// carpd's notify hooks and event FIFO end to end (docs/protocol.md#notify-hooks): the carpd executable on a simulated
/// LAN, its interfaces forced MASTER and BACKUP in quick succession through the control socket; every state change
/// runs the hook once, in order per interface and never two at once for one interface, and reaches the FIFO in order.
/// </summary>
public sealed class NotifyDaemonTests : IDisposable
{
    private const int Transitions = 50;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly TempDirectory _dir = new();
    private readonly Socket _notify = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly StringBuilder _log = new();
    private readonly string _socketPath;
    private Process? _process;

    public NotifyDaemonTests()
    {
        _socketPath = _dir.File("carpd.sock");
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
    public async Task Fifty_rapid_transitions_run_fifty_hooks_in_order_one_at_a_time_and_reach_the_fifo_in_order()
    {
        var hookLog = _dir.File("hook.log");
        // The hook takes a lock (mkdir is atomic) for its interface; finding it taken means two runs overlapped.
        var hook = _dir.Write("hook.sh",
            "#!/bin/sh\n" +
            $"lock={_dir.Path}/lock-$1\n" +
            $"mkdir \"$lock\" 2>/dev/null || echo \"OVERLAP $1 $CARP_EVENT_SEQUENCE\" >> {hookLog}\n" +
            "sleep 0.01\n" +
            $"echo \"$CARP_INTERFACE $CARP_EVENT_SEQUENCE $CARP_STATE $CARP_PREVIOUS_STATE $CARP_REASON $1 $2 $3 $4 $5 $6 $CARP_CARPDEV $CARP_ADDRESSES\" >> {hookLog}\n" +
            "rmdir \"$lock\"\n",
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var fifo = _dir.File("events.fifo");
        var config = _dir.Write("carpd.conf",
            "carp1 vhid 1 carpdev sim0 advbase 10 192.0.2.100/24\n" +
            "carp2 vhid 2 carpdev sim0 advbase 10 advskew 7 198.51.100.10/24\n" +
            $"notify any {hook}\n" +
            $"notify_fifo {fifo}\n");

        // A reader waits on the FIFO before carpd starts (carpd creates it), so no event finds it without one.
        var lines = new List<string>();
        Assert.Equal(0, Run("mkfifo", "-m", "600", fifo));
        var reader = Task.Run(() =>
        {
            using var stream = new StreamReader(new FileStream(fifo, FileMode.Open, FileAccess.Read));
            while (stream.ReadLine() is { } line)
            {
                lock (lines)
                {
                    lines.Add(line);
                }
            }
        }, TestContext.Current.CancellationToken);

        Start(config);
        using var client = new CarpdClient(_socketPath, Patience);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        for (var i = 0; i < Transitions; i++)
        {
            // Alternate the interfaces so that their queues run side by side: 25 changes each.
            var name = i % 2 == 0 ? "carp1" : "carp2";
            client.SetInterface(name, new InterfaceChange { State = i % 4 < 2 ? CarpState.Master : CarpState.Backup });
        }

        var last = System.Diagnostics.Stopwatch.GetTimestamp();

        // Two Started (INIT -> BACKUP) at start, then the 50 forced changes.
        const int expected = Transitions + 2;
        Assert.True(SpinWait.SpinUntil(() => { lock (lines) { return lines.Count >= expected; } }, Patience), "the FIFO did not get every event");
        var fifoDone = System.Diagnostics.Stopwatch.GetElapsedTime(last);
        Assert.True(SpinWait.SpinUntil(() => File.Exists(hookLog) && File.ReadAllLines(hookLog).Length >= expected, Patience),
            $"the hooks did not all run: {(File.Exists(hookLog) ? File.ReadAllLines(hookLog).Length : 0)} of {expected}\n{Log()}");
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"MEASURED: {Transitions} forced transitions over the socket in {System.Diagnostics.Stopwatch.GetElapsedTime(started, last).TotalMilliseconds:0} ms; " +
            $"the FIFO had every line {fifoDone.TotalMilliseconds:0} ms and every hook had run {System.Diagnostics.Stopwatch.GetElapsedTime(last).TotalMilliseconds:0} ms after the last");

        var runs = File.ReadAllLines(hookLog);
        Assert.DoesNotContain(runs, r => r.StartsWith("OVERLAP", StringComparison.Ordinal));
        Assert.Equal(expected, runs.Length);
        foreach (var name in new[] { "carp1", "carp2" })
        {
            var mine = runs.Select(r => r.Split(' ')).Where(w => w[0] == name).ToList();
            Assert.Equal(Transitions / 2 + 1, mine.Count);
            var sequences = mine.Select(w => long.Parse(w[1], CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(sequences.Order(), sequences); // per interface, in event order
            // backup (Started), then master, backup, master, ... as forced.
            var states = mine.Select(w => w[2]).ToArray();
            Assert.Equal(new[] { "backup" }.Concat(Enumerable.Range(0, Transitions / 2).Select(k => k % 2 == 0 ? "master" : "backup")), states);
            Assert.Equal(new[] { "init" }.Concat(states.SkipLast(1)), mine.Select(w => w[3]));
            Assert.Equal(new[] { "Started" }.Concat(Enumerable.Repeat("Forced", Transitions / 2)), mine.Select(w => w[4]));
            // The arguments repeat the environment: name, vhid, state, previous, reason, advskew.
            Assert.All(mine, w => Assert.Equal(new[] { name, name == "carp1" ? "1" : "2", w[2], w[3], w[4], name == "carp1" ? "0" : "7" }, w[5..11]));
            Assert.All(mine, w => Assert.Equal(new[] { "sim0", name == "carp1" ? "192.0.2.100/24" : "198.51.100.10/24" }, w[11..]));
        }

        Assert.Equal(Enumerable.Range(1, expected).Select(n => (long)n), runs.Select(r => long.Parse(r.Split(' ')[1], CultureInfo.InvariantCulture)).Order());

        List<JsonElement> events;
        lock (lines)
        {
            events = [.. lines.Select(l => JsonDocument.Parse(l).RootElement.Clone())];
        }

        Assert.Equal(expected, events.Count);
        Assert.Equal(Enumerable.Range(1, expected).Select(n => (long)n), events.Select(e => e.GetProperty("sequence").GetInt64()));
        var hookStates = runs.Select(r => r.Split(' ')).ToDictionary(w => long.Parse(w[1], CultureInfo.InvariantCulture), w => (w[0], w[2], w[3]));
        Assert.All(events, e => Assert.Equal(hookStates[e.GetProperty("sequence").GetInt64()],
            (e.GetProperty("interface").GetString()!, e.GetProperty("state").GetString()!, e.GetProperty("previous").GetString()!)));
        var first = events.First(e => e.GetProperty("interface").GetString() == "carp2");
        Assert.Equal(2, first.GetProperty("vhid").GetInt32());
        Assert.Equal("sim0", first.GetProperty("carpdev").GetString());
        Assert.Equal(new[] { "198.51.100.10/24" }, first.GetProperty("addresses").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(7, first.GetProperty("advskew").GetInt32());
        Assert.Equal("carp", first.GetProperty("protocol").GetString());
        Assert.True(DateTimeOffset.TryParse(first.GetProperty("time").GetString(), CultureInfo.InvariantCulture, out _));

        await Stop();
        await reader.WaitAsync(Patience, TestContext.Current.CancellationToken); // carpd closed its end: the reader sees the end
    }

    [Fact]
    public async Task A_fifo_without_a_reader_does_not_hold_carpd_up_and_a_hook_that_hangs_is_killed_at_the_timeout()
    {
        var hookLog = _dir.File("hook.log");
        var hook = _dir.Write("hook.sh",
            "#!/bin/sh\n" +
            $"echo \"$CARP_INTERFACE $CARP_EVENT_SEQUENCE $CARP_STATE\" >> {hookLog}\n" +
            $"if [ \"$CARP_STATE\" = master ]; then sleep 600 & echo $! > {_dir.File("sleep.pid")}; wait; fi\n",
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var config = _dir.Write("carpd.conf",
            "carp1 vhid 1 carpdev sim0 advbase 10 192.0.2.100/24\n" +
            "notify timeout 1\n" +
            $"notify master {hook} carp1\n" +
            $"notify backup {hook} group nosuchgroup\n" +
            $"notify backup {hook} carp1\n" +
            $"notify_fifo {_dir.File("nobody-reads.fifo")}\n");

        Start(config);
        using var client = new CarpdClient(_socketPath, Patience);
        var watch = Stopwatch.StartNew();
        client.SetInterface("carp1", new InterfaceChange { State = CarpState.Master });
        client.SetInterface("carp1", new InterfaceChange { State = CarpState.Backup }); // answered while the master hook hangs

        // backup (start) ran, master hangs until killed after 1 s, then the second backup runs.
        Assert.True(SpinWait.SpinUntil(() => File.Exists(hookLog) && File.ReadAllLines(hookLog).Length >= 3, Patience), Log());
        Assert.Equal(["carp1 1 backup", "carp1 2 master", "carp1 3 backup"], File.ReadAllLines(hookLog));
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(1), "the next hook ran before the hanging one's timeout");
        Assert.Equal("fifo", RunOutput("stat", "-c", "%F", _dir.File("nobody-reads.fifo")).Trim()); // created by carpd
        // The hook and the sleep it started were killed: the sleep is gone (or a zombie waiting for its reaper).
        var sleep = File.ReadAllText(_dir.File("sleep.pid")).Trim();
        Assert.True(SpinWait.SpinUntil(() => Gone(sleep), Patience),
            "the hook's child survived the timeout");

        await Stop();
        var log = Log();
        Assert.Contains("did not finish within 1 s; killed it", log, StringComparison.Ordinal);
        Assert.Contains("no process reads it", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reload_applies_edited_notify_lines_from_the_next_event_on()
    {
        var hookLog = _dir.File("hook.log");
        var body = "#!/bin/sh\n" + $"echo \"$0 $CARP_EVENT_SEQUENCE $CARP_STATE\" >> {hookLog}\n";
        var first = _dir.Write("first.sh", body, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var second = _dir.Write("second.sh", body, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        const string carp1 = "carp1 vhid 1 carpdev sim0 advbase 10 192.0.2.100/24\n";
        var config = _dir.Write("carpd.conf", carp1 + $"notify master {first}\n");

        Start(config);
        using var client = new CarpdClient(_socketPath, Patience);
        client.SetInterface("carp1", new InterfaceChange { State = CarpState.Master });
        Assert.True(SpinWait.SpinUntil(() => Lines(hookLog).Length == 1, Patience), Log());

        _dir.Write("carpd.conf", carp1 + $"notify any {second} carp1\n");
        var result = client.Reload();
        Assert.Equal(["carp1"], result.Unchanged);
        client.SetInterface("carp1", new InterfaceChange { State = CarpState.Backup });
        client.SetInterface("carp1", new InterfaceChange { State = CarpState.Master });
        // One queue per interface: had the first hook stayed, its run for event 4 would come before the second's.
        Assert.True(SpinWait.SpinUntil(() => Lines(hookLog).Length == 3, Patience), Log());
        Assert.Equal([$"{first} 2 master", $"{second} 3 backup", $"{second} 4 master"], Lines(hookLog));
        await Stop();
        Assert.Contains("notify: now 1 notify hook(s)", Log(), StringComparison.Ordinal);
    }

    private static string[] Lines(string path) => File.Exists(path) ? File.ReadAllLines(path) : [];

    private static bool Gone(string pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2] == "Z";
        }
        catch (IOException)
        {
            return true;
        }
    }

    private void Start(string config)
    {
        var start = new ProcessStartInfo(CarpdDaemonTests.FindCarpd()) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "--simulate", "--verbose", "--config", config, "--socket", _socketPath })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["NOTIFY_SOCKET"] = _dir.File("notify");
        _process = Process.Start(start)!;
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        var buffer = new byte[4096];
        Assert.Contains("READY=1", Encoding.UTF8.GetString(buffer, 0, _notify.Receive(buffer)), StringComparison.Ordinal);
    }

    private void Append(string? line)
    {
        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    private async Task Stop()
    {
        Assert.Equal(0, Run("kill", "-TERM", _process!.Id.ToString(CultureInfo.InvariantCulture)));
        using var timeout = new CancellationTokenSource(Patience);
        await _process.WaitForExitAsync(timeout.Token);
        Assert.Equal(0, _process.ExitCode);
    }

    private string Log()
    {
        lock (_log)
        {
            return _log.ToString();
        }
    }

    private static int Run(string file, params string[] arguments)
    {
        using var process = Process.Start(file, arguments);
        process.WaitForExit();
        return process.ExitCode;
    }

    private static string RunOutput(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output;
    }
}
