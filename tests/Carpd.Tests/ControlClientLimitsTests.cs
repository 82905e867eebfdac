using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Carp.Control;
using Carp.Engine.Hosting;
using Carpd.Control;
using Microsoft.Extensions.Time.Testing;

namespace Carpd.Tests;

/// <summary>
/// What bad or idle clients cannot do to carpd: lock others out, change anything with garbage, keep a
/// connection forever, or flood the log (docs/carpd-protocol.md#limits).
/// </summary>
public sealed class ControlClientLimitsTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FakeCarpService _fake = new();
    private readonly ConcurrentQueue<string> _log = new();
    private readonly List<Socket> _sockets = [];

    public void Dispose()
    {
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        _dir.Dispose();
    }

    [Fact]
    public async Task Two_hundred_idle_connections_do_not_lock_out_a_client_the_idlest_make_room()
    {
        using var server = Start(new CarpControlServerOptions { LogInterval = TimeSpan.FromHours(1) });
        for (var i = 0; i < 200; i++)
        {
            Connect(server.SocketPath);
        }

        using var client = new CarpdClient(server.SocketPath, TimeSpan.FromSeconds(5));
        var watch = Stopwatch.StartNew();
        client.Ping();
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"the call took {watch.Elapsed}");

        // The first connections were idle longest: the server closed them (end of stream, or a reset).
        Assert.True(await ClosedByServerAsync(_sockets[0]));
        Assert.True(await ClosedByServerAsync(_sockets[135]));
        server.Dispose();

        // 201 clients for 64 places: 137 closed to make room, one line for them and a summary of the rest.
        var evictions = _log.Where(l => l.Contains("to make room", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, evictions.Length);
        Assert.Contains("136 more idle control clients closed to make room in the last", evictions[1]);
        Assert.DoesNotContain(_log, l => l.Contains("refused", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Malformed_input_gets_errors_or_a_closed_connection_changes_nothing_and_is_logged_once_with_a_summary()
    {
        var time = new FakeTimeProvider();
        using var server = Start(new CarpControlServerOptions { TimeProvider = time });
        _fake.CreateInterface(ControlHarness.Carp1());
        var interfacesBefore = Snapshot();
        var sysctlsBefore = _fake.GetSysctls();
        _fake.Calls.Clear();
        var random = new Random(20240501);

        // Four clients, 25 bad lines each: text that is not JSON and random bytes (no newline inside).
        for (var client = 0; client < 4; client++)
        {
            using var stream = new NetworkStream(Connect(server.SocketPath));
            using var reader = new StreamReader(stream, Encoding.UTF8);
            for (var line = 0; line < 25; line++)
            {
                var garbage = line % 2 == 0 ? Encoding.UTF8.GetBytes("this is not JSON {") : RandomLine(random, 2000);
                await stream.WriteAsync(garbage.Append((byte)'\n').ToArray(), TestContext.Current.CancellationToken);
                Assert.Equal(-32700, ErrorCode(await ReadLineAsync(reader)));
            }
        }

        // A 10 MiB line: refused and the connection closed before the rest is read.
        var big = Connect(server.SocketPath);
        using (var stream = new NetworkStream(big))
        using (var reader = new StreamReader(stream, Encoding.UTF8))
        {
            var line = Encoding.UTF8.GetBytes(ControlHarness.Request(1, "setSysctl", "{\"name\":\"preempt\",\"value\":0,\"x\":\"" + new string('a', 10 << 20) + "\"}\n"));
            var writing = Task.Run(async () =>
            {
                try
                {
                    await stream.WriteAsync(line);
                    return false;
                }
                catch (IOException)
                {
                    return true;
                }
            }, TestContext.Current.CancellationToken);

            var reply = await ReadLineAsync(reader);
            Assert.Equal(-32600, ErrorCode(reply));
            Assert.Contains($"larger than {CarpdProtocol.DefaultMaxRequestBytes} bytes", reply);
            Assert.True(await ClosedByServerAsync(big));
            Assert.True(await writing.WaitAsync(ControlHarness.Patience, TestContext.Current.CancellationToken), "the server read the whole line");
        }

        using var good = new CarpdClient(server.SocketPath);
        good.Ping();
        Assert.Equal(interfacesBefore, Snapshot());
        Assert.Equal(sysctlsBefore, _fake.GetSysctls());
        Assert.DoesNotContain(_fake.Calls, c => c is "CreateInterface" or "SetInterface" or "RemoveInterface" or "SetSysctl" or "ResetStatistics");

        // 101 malformed requests: the first is logged, the other 100 (from all five clients) only counted...
        Assert.Single(_log, l => l.StartsWith("Warning:", StringComparison.Ordinal));
        Assert.Contains(_log, l => l.StartsWith("Warning: control client 1: sent a line that is not JSON", StringComparison.Ordinal));

        // ...until the interval ends.
        time.Advance(TimeSpan.FromSeconds(10));
        var warnings = _log.Where(l => l.StartsWith("Warning:", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, warnings.Length);
        Assert.Equal("Warning: 100 more malformed requests from 5 clients in the last 10 s", warnings[1]);
    }

    [Fact]
    public async Task A_silent_client_is_closed_after_the_idle_timeout_but_a_subscriber_stays()
    {
        using var server = Start(new CarpControlServerOptions { IdleTimeout = TimeSpan.FromMilliseconds(200) });
        using var client = new CarpdClient(server.SocketPath);
        var events = new ConcurrentQueue<CarpEvent>();
        using var subscription = client.Subscribe(events.Enqueue);
        await _fake.FirstSubscriber.Task.WaitAsync(ControlHarness.Patience, TestContext.Current.CancellationToken);

        var silent = Connect(server.SocketPath);

        Assert.True(await ClosedByServerAsync(silent));
        Assert.Contains(_log, l => l.StartsWith("Info: control client", StringComparison.Ordinal) && l.Contains("sent nothing for 0.2 s", StringComparison.Ordinal));
        // The subscriber connected before the silent client and is still served.
        Assert.Equal(1, _fake.SubscriberCount);
        _fake.Raise(new CarpDemotionChangedEvent { Interface = "carp1", Vhid = 1, Timestamp = DateTimeOffset.UnixEpoch, OldAdvSkew = 0, NewAdvSkew = 240, OldDemotion = 0, NewDemotion = 0 });
        await ControlHarness.WaitUntil(() => !events.IsEmpty);
    }

    [Fact]
    public async Task The_idle_clock_runs_while_a_client_waits_to_send_not_while_its_request_is_served()
    {
        var time = new FakeTimeProvider();
        using var server = Start(new CarpControlServerOptions { TimeProvider = time, IdleTimeout = TimeSpan.FromSeconds(1) });
        using var gate = new ManualResetEventSlim(false);
        _fake.Gate = gate;
        var socket = Connect(server.SocketPath);
        using var stream = new NetworkStream(socket);
        using var reader = new StreamReader(stream, Encoding.UTF8);

        await stream.WriteAsync(Encoding.UTF8.GetBytes(ControlHarness.Request(1, "getInterfaces", "{}") + "\n"), TestContext.Current.CancellationToken);
        await ControlHarness.WaitUntil(() => _fake.Calls.Contains("GetInterfaces"));
        time.Advance(TimeSpan.FromSeconds(5));
        gate.Set();

        using (var reply = JsonDocument.Parse(await ReadLineAsync(reader)))
        {
            Assert.Equal(1, reply.RootElement.GetProperty("id").GetInt32());
        }
        var closed = ClosedByServerAsync(socket);
        await ControlHarness.WaitUntil(() =>
        {
            time.Advance(TimeSpan.FromSeconds(1));
            return closed.IsCompleted;
        });
        Assert.True(await closed);
        Assert.Contains(_log, l => l.Contains("sent nothing for 1 s; closed the connection", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_client_that_sends_requests_but_never_reads_the_replies_is_cut_off()
    {
        using var server = Start(new CarpControlServerOptions { WriteTimeout = TimeSpan.FromMilliseconds(300) });
        using var stream = new NetworkStream(Connect(server.SocketPath));
        var pings = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n", 100_000)));

        var cutOff = await Task.Run(async () =>
        {
            try
            {
                await stream.WriteAsync(pings);
                return false;
            }
            catch (IOException)
            {
                return true;
            }
        }, TestContext.Current.CancellationToken).WaitAsync(ControlHarness.Patience, TestContext.Current.CancellationToken);

        Assert.True(cutOff, "the server read every request without its replies being read");
        await ControlHarness.WaitUntil(() => _log.Any(l => l.Contains("took no reply or event for 0.3 s; cut it off", StringComparison.Ordinal)));
        using var good = new CarpdClient(server.SocketPath);
        good.Ping();
    }

    [Fact]
    public async Task When_no_client_is_idle_a_new_one_is_refused_with_an_error_and_the_refusals_are_summarized()
    {
        using var server = Start(new CarpControlServerOptions { MaxConnections = 1, LogInterval = TimeSpan.FromHours(1) });
        using var client = new CarpdClient(server.SocketPath);
        using var subscription = client.Subscribe(_ => { });
        await _fake.FirstSubscriber.Task.WaitAsync(ControlHarness.Patience, TestContext.Current.CancellationToken);

        for (var i = 0; i < 3; i++)
        {
            using var stream = new NetworkStream(Connect(server.SocketPath));
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var reply = await ReadLineAsync(reader);
            Assert.Equal(-32603, ErrorCode(reply));
            Assert.Contains("too many clients", reply);
        }

        Assert.Equal(1, _fake.SubscriberCount);
        server.Dispose();
        var refusals = _log.Where(l => l.Contains("refused", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, refusals.Length);
        Assert.Equal("Warning: 2 more control clients refused (carpd was full) in the last 0 s", Regex.Replace(refusals[1], @"last [0-9.]+ s", "last 0 s"));
    }

    [Fact]
    public void Bad_options_are_refused()
    {
        var path = _dir.File("bad.sock");
        Assert.Throws<ArgumentOutOfRangeException>(() => CarpControlServer.Start(_fake, path, new CarpControlServerOptions { IdleTimeout = TimeSpan.Zero }));
        Assert.Throws<ArgumentOutOfRangeException>(() => CarpControlServer.Start(_fake, path, new CarpControlServerOptions { MaxConnections = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => CarpControlServer.Start(_fake, path, new CarpControlServerOptions { WriteTimeout = TimeSpan.FromSeconds(-1) }));
        Assert.False(File.Exists(path));
    }

    private CarpControlServer Start(CarpControlServerOptions options) =>
        CarpControlServer.Start(_fake, _dir.File("carpd.sock"), options with { Log = (level, line) => _log.Enqueue($"{level}: {line}") });

    private Socket Connect(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _sockets.Add(socket);
        socket.Connect(new UnixDomainSocketEndPoint(path));
        return socket;
    }

    private string Snapshot() =>
        JsonSerializer.Serialize([.. _fake.GetInterfaces().Select(ControlMapper.ToDto)], CarpdJsonContext.Default.IReadOnlyListInterfaceStatusDto);

    private static byte[] RandomLine(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        bytes[0] = 0xff; // never valid JSON, whatever follows
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == (byte)'\n')
            {
                bytes[i] = 0;
            }
        }

        return bytes;
    }

    private static async Task<string> ReadLineAsync(StreamReader reader)
    {
        using var timeout = new CancellationTokenSource(ControlHarness.Patience);
        return await reader.ReadLineAsync(timeout.Token) ?? throw new EndOfStreamException();
    }

    private static int ErrorCode(string reply)
    {
        using var document = JsonDocument.Parse(reply);
        return document.RootElement.GetProperty("error").GetProperty("code").GetInt32();
    }

    /// <summary>True once the server has closed the socket: what is left to read ends in end-of-stream or a reset.</summary>
    private static async Task<bool> ClosedByServerAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(ControlHarness.Patience);
        var buffer = new byte[64 * 1024];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) > 0)
            {
            }

            return true;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            return true;
        }
    }
}
