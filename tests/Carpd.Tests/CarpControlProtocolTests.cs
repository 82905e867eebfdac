using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Net;
using System.Text.Json;
using System.Text;
using Carp.Control;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;
using Carpd.Control;

namespace Carpd.Tests;

public sealed class CarpControlProtocolTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly TempDirectory _dir = new();
    private readonly FakeCarpService _fake = new();
    private readonly ConcurrentQueue<string> _log = new();
    private readonly CarpControlServer _server;
    private readonly CarpdClient _client;

    public CarpControlProtocolTests()
    {
        _server = CarpControlServer.Start(_fake, _dir.File("carpd.sock"), new CarpControlServerOptions
        {
            Log = (level, line) => _log.Enqueue($"{level}: {line}"),
            MaxRequestBytes = 4096,
        });
        _client = new CarpdClient(_server.SocketPath, TimeSpan.FromSeconds(10));
    }

    public void Dispose()
    {
        _client.Dispose();
        _server.Dispose();
        _dir.Dispose();
    }

    private static VirtualHostConfig Carp1(CarpKey? key = null) => new()
    {
        Name = "carp1",
        Vhid = 1,
        CarpDev = "eth0",
        Key = key ?? CarpKey.FromPassphrase("lanpasswd"),
        AdvSkew = 128,
        Addresses = [CarpAddress.Parse("192.0.2.100/24"), CarpAddress.Parse("2001:db8::100/64")],
        MacMode = MacMode.Real,
        Profile = CompatibilityProfile.OpenBsd,
        Groups = ["lan"],
        Peer = IPAddress.Parse("192.0.2.2"),
        Peer6 = IPAddress.Parse("2001:db8::2"),
    };

    [Fact]
    public void The_socket_is_private_to_its_owner()
    {
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_server.SocketPath));
    }

    [Fact]
    public void Ping_and_version_answer()
    {
        Assert.True(_client.Ping() < Patience);
        Assert.Equal("0.1.0", _client.GetServerVersion());
    }

    [Fact]
    public void CreateInterface_delivers_every_setting_and_the_same_key()
    {
        var key = CarpKey.FromPassphrase("lanpasswd");

        var status = _client.CreateInterface(Carp1(key));

        var created = _fake.LastCreated!;
        Assert.Equal(key, created.Key);
        Assert.Equal("carp1", created.Name);
        Assert.Equal(1, created.Vhid);
        Assert.Equal("eth0", created.CarpDev);
        Assert.Equal(128, created.AdvSkew);
        Assert.Equal(1, created.AdvBase);
        Assert.Equal(Carp1().Addresses, created.Addresses);
        Assert.Equal(MacMode.Real, created.MacMode);
        Assert.Same(CompatibilityProfile.OpenBsd, created.Profile);
        Assert.Equal(["lan"], created.Groups);
        Assert.Equal(IPAddress.Parse("192.0.2.2"), created.Peer);
        Assert.Equal(IPAddress.Parse("2001:db8::2"), created.Peer6);

        Assert.Equal("carp1", status.Name);
        Assert.Equal(CarpState.Backup, status.State);
        Assert.True(status.HasPass);
        Assert.Equal(Carp1().Addresses, status.Addresses);
        Assert.Equal(IPAddress.Parse("192.0.2.2"), status.MasterSeen);
        Assert.Equal(new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero), status.LastTransition);
        Assert.Equal(TransitionReason.Started, status.LastTransitionReason);
        Assert.Equal("OpenBSD", status.Profile);
        Assert.Equal(["lan"], status.Groups);
    }

    [Fact]
    public void A_raw_key_survives_the_trip()
    {
        var key = CarpKey.FromRawKey([1, 2, 3, 0, 255, 254, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 7]);

        _client.CreateInterface(Carp1(key));

        Assert.Equal(key, _fake.LastCreated!.Key);
    }

    [Fact]
    public void GetInterfaces_SetInterface_and_RemoveInterface_round_trip()
    {
        _client.CreateInterface(Carp1());
        Assert.Equal(["carp1"], _client.GetInterfaces().Select(s => s.Name));

        var status = _client.SetInterface("carp1", new InterfaceChange
        {
            AdvSkew = 10,
            Key = CarpKey.FromPassphrase("newpass"),
            Addresses = [CarpAddress.Parse("192.0.2.101/24")],
            State = CarpState.Master,
            DemoteAdjustment = -3,
            Profile = "ucarp",
            Groups = ["a", "b"],
        });

        var (name, change) = _fake.LastChange!.Value;
        Assert.Equal("carp1", name);
        Assert.Equal((byte)10, change.AdvSkew);
        Assert.Equal(CarpKey.FromPassphrase("newpass"), change.Key);
        Assert.Equal([CarpAddress.Parse("192.0.2.101/24")], change.Addresses);
        Assert.Equal(CarpState.Master, change.State);
        Assert.Equal(-3, change.DemoteAdjustment);
        Assert.Equal("ucarp", change.Profile);
        Assert.Equal(["a", "b"], change.Groups);
        Assert.Null(change.Vhid);
        Assert.Null(change.AdvBase);
        Assert.Null(change.CarpDev);
        Assert.Null(change.MacMode);
        Assert.Equal(10, status.AdvSkew);
        Assert.Equal(CarpState.Master, status.ForcedState);

        _client.RemoveInterface("carp1");
        Assert.Equal("carp1", _fake.LastRemoved);
        Assert.Empty(_client.GetInterfaces());
    }

    [Fact]
    public void Sysctls_round_trip()
    {
        Assert.Equal(CarpSysctls.Default, _client.GetSysctls());

        var after = _client.SetSysctl("net.inet.carp.preempt", 1);
        after = _client.SetSysctl("demotion", 20);
        after = _client.SetSysctl("log", 2);

        Assert.True(after.Preempt);
        Assert.Equal(20, after.Demotion);
        Assert.Equal(2, after.Log);
        Assert.Equal(_fake.Sysctls, after);
        Assert.Equal(_fake.Sysctls, _client.GetSysctls());
    }

    [Fact]
    public void Statistics_round_trip()
    {
        _fake.SetStatistics([.. Enumerable.Range(1, CarpStatistics.Count).Select(i => (long)i * 1000)]);

        var snapshot = _client.GetStatistics();

        Assert.Equal(Enumerable.Range(1, CarpStatistics.Count).Select(i => (long)i * 1000), snapshot.Values);
        Assert.Equal(9000, snapshot.BadAuth);

        _client.ResetStatistics();
        Assert.All(_client.GetStatistics().Values, v => Assert.Equal(0, v));
    }

    [Theory]
    [InlineData(CarpErrorCode.DuplicateVhid)]
    [InlineData(CarpErrorCode.NotPermitted)]
    [InlineData(CarpErrorCode.UnknownCarpDev)]
    public void A_refusal_comes_back_as_the_same_CarpException(CarpErrorCode code)
    {
        _fake.NextError = new CarpException(code, "refused for a reason.");

        var ex = Assert.Throws<CarpException>(() => _client.CreateInterface(Carp1()));

        Assert.Equal(code, ex.Code);
        Assert.Equal("refused for a reason.", ex.Message);
    }

    [Theory]
    [InlineData(CarpErrorCode.DuplicateVhid)]
    [InlineData(CarpErrorCode.UnknownSysctl)]
    public async Task A_refusal_on_the_socket_carries_carpds_own_advice(CarpErrorCode code)
    {
        _fake.NextError = new CarpException(code, "refused for a reason.");
        using var raw = await RawConnection.OpenAsync(_server.SocketPath);

        var reply = await raw.ExchangeAsync(Request(1, "getInterfaces", "{}"));

        var data = reply.GetProperty("error").GetProperty("data");
        Assert.Equal(code.ToString(), data.GetProperty("code").GetString());
        Assert.Equal(CarpdAdvice.For(code), data.GetProperty("recommendedAction").GetString());
        Assert.DoesNotMatch(@"\b(Get|Set|New|Remove|Connect)-Carp", data.GetProperty("recommendedAction").GetString()!);
    }

    [Fact]
    public void Engine_validation_errors_keep_their_codes()
    {
        var ex = Assert.Throws<CarpException>(() => _client.CreateInterface(Carp1() with { AdvSkew = 255 }));
        Assert.Equal(CarpErrorCode.InvalidAdvSkew, ex.Code);

        ex = Assert.Throws<CarpException>(() => _client.SetInterface("nosuch", new InterfaceChange { AdvSkew = 1 }));
        Assert.Equal(CarpErrorCode.InterfaceNotFound, ex.Code);

        ex = Assert.Throws<CarpException>(() => _client.SetSysctl("nosuch", 1));
        Assert.Equal(CarpErrorCode.UnknownSysctl, ex.Code);

        ex = Assert.Throws<CarpException>(() => _client.SetSysctl("suppress_preempt", 1));
        Assert.Equal(CarpErrorCode.ReadOnlySysctl, ex.Code);
        Assert.Contains("read-only", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unexpected_engine_failure_is_a_ServiceError_and_the_connection_lives_on()
    {
        _fake.NextError = new InvalidOperationException("boom");

        var ex = Assert.Throws<CarpException>(() => _client.GetInterfaces());

        Assert.Equal(CarpErrorCode.ServiceError, ex.Code);
        Assert.Contains("boom", ex.Message);
        Assert.Empty(_client.GetInterfaces());
    }

    [Fact]
    public async Task Events_stream_to_a_subscriber_in_order()
    {
        var received = new ConcurrentQueue<CarpEvent>();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = _client.Subscribe(e =>
        {
            received.Enqueue(e);
            if (received.Count == 3)
            {
                all.TrySetResult();
            }
        });
        await _fake.FirstSubscriber.Task.WaitAsync(Patience, TestContext.Current.CancellationToken);
        var at = new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.FromHours(2));

        _fake.Raise(new CarpStateChangedEvent
        {
            Timestamp = at, Interface = "carp1", Vhid = 1, OldState = CarpState.Backup, NewState = CarpState.Master,
            Reason = TransitionReason.MasterDown, Peer = IPAddress.Parse("192.0.2.2"),
        });
        _fake.Raise(new CarpDemotionChangedEvent
        {
            Timestamp = at, Interface = "carp1", Vhid = 1, OldAdvSkew = 0, NewAdvSkew = 240, OldDemotion = 0, NewDemotion = 1,
        });
        _fake.Raise(new CarpBadPacketEvent
        {
            Timestamp = at, Interface = "carp2", Vhid = 2, Counter = CarpStatistic.BadAuth, Detail = "HMAC mismatch",
            Source = IPAddress.Parse("2001:db8::7"),
        });
        await all.Task.WaitAsync(Patience, TestContext.Current.CancellationToken);

        var events = received.ToArray();
        var state = Assert.IsType<CarpStateChangedEvent>(events[0]);
        Assert.Equal(at, state.Timestamp);
        Assert.Equal("carp1", state.Interface);
        Assert.Equal(CarpState.Master, state.NewState);
        Assert.Equal(CarpState.Backup, state.OldState);
        Assert.Equal(TransitionReason.MasterDown, state.Reason);
        Assert.Equal(IPAddress.Parse("192.0.2.2"), state.Peer);
        var demotion = Assert.IsType<CarpDemotionChangedEvent>(events[1]);
        Assert.Equal(240, demotion.NewAdvSkew);
        Assert.Equal(1, demotion.NewDemotion);
        var bad = Assert.IsType<CarpBadPacketEvent>(events[2]);
        Assert.Equal(CarpStatistic.BadAuth, bad.Counter);
        Assert.Equal("HMAC mismatch", bad.Detail);
        Assert.Equal(IPAddress.Parse("2001:db8::7"), bad.Source);
        Assert.Equal(2, bad.Vhid);
    }

    [Fact]
    public async Task Disposing_a_subscription_unsubscribes_in_the_server()
    {
        var subscription = _client.Subscribe(_ => { });
        await _fake.FirstSubscriber.Task.WaitAsync(Patience, TestContext.Current.CancellationToken);
        Assert.Equal(1, _fake.SubscriberCount);

        subscription.Dispose();

        await WaitUntil(() => _fake.SubscriberCount == 0);
    }

    [Fact]
    public async Task A_subscriber_is_told_when_carpd_goes_away()
    {
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = _client.Subscribe(_ => { }, _ => closed.TrySetResult());
        await _fake.FirstSubscriber.Task.WaitAsync(Patience, TestContext.Current.CancellationToken);

        _server.Dispose();

        await closed.Task.WaitAsync(Patience, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Garbage_gets_a_parse_error_and_the_connection_and_server_survive()
    {
        using var raw = await RawConnection.OpenAsync(_server.SocketPath);

        var reply = await raw.ExchangeAsync("this is not JSON {");
        Assert.Equal(-32700, reply.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal(JsonValueKind.Null, reply.GetProperty("id").ValueKind);
        Assert.Equal("InvalidArgument", reply.GetProperty("error").GetProperty("data").GetProperty("code").GetString());

        reply = await raw.ExchangeAsync("[1,2]");
        Assert.Equal(-32600, reply.GetProperty("error").GetProperty("code").GetInt32());

        reply = await raw.ExchangeAsync("""{"jsonrpc":"1.0","id":5,"method":"ping"}""");
        Assert.Equal(-32600, reply.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal(5, reply.GetProperty("id").GetInt32());

        reply = await raw.ExchangeAsync("""{"jsonrpc":"2.0","id":"x","method":"nosuch"}""");
        Assert.Equal(-32601, reply.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal("x", reply.GetProperty("id").GetString());

        reply = await raw.ExchangeAsync("""{"jsonrpc":"2.0","id":6,"method":"createInterface","params":{"name":"carp1","vhid":"one"}}""");
        Assert.Equal(-32602, reply.GetProperty("error").GetProperty("code").GetInt32());

        reply = await raw.ExchangeAsync("""{"jsonrpc":"2.0","id":7,"method":"createInterface","params":[1]}""");
        Assert.Equal(-32602, reply.GetProperty("error").GetProperty("code").GetInt32());

        reply = await raw.ExchangeAsync("""{"jsonrpc":"2.0","id":8,"method":"createInterface","params":{"name":"carp1","vhid":300,"carpdev":"eth0"}}""");
        Assert.Equal(-32000, reply.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal("InvalidVhid", reply.GetProperty("error").GetProperty("data").GetProperty("code").GetString());

        reply = await raw.ExchangeAsync("\u00ff\u00fe\u0001");
        Assert.Equal(-32700, reply.GetProperty("error").GetProperty("code").GetInt32());

        reply = await raw.ExchangeAsync("""{"jsonrpc":"2.0","id":9,"method":"ping"}""");
        Assert.Equal("pong", reply.GetProperty("result").GetString());
        Assert.Equal("pong", await Task.Run(() => { _client.Ping(); return "pong"; }, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task An_oversized_request_is_refused_and_skipped()
    {
        using var raw = await RawConnection.OpenAsync(_server.SocketPath);

        var reply = await raw.ExchangeAsync(Request(1, "ping", "{\"x\":\"" + new string('a', 100_000) + "\"}"));
        Assert.Equal(-32600, reply.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Contains("4096", reply.GetProperty("error").GetProperty("message").GetString());

        reply = await raw.ExchangeAsync("""{"jsonrpc":"2.0","id":2,"method":"ping"}""");
        Assert.Equal("pong", reply.GetProperty("result").GetString());
    }

    [Fact]
    public async Task A_notification_is_carried_out_but_not_answered()
    {
        using var raw = await RawConnection.OpenAsync(_server.SocketPath);
        await raw.SendAsync("""{"jsonrpc":"2.0","method":"resetStatistics"}""");

        var reply = await raw.ExchangeAsync("""{"jsonrpc":"2.0","id":1,"method":"ping"}""");

        Assert.Equal(1, reply.GetProperty("id").GetInt32());
        Assert.Contains("ResetStatistics", _fake.Calls);
    }

    [Fact]
    public async Task A_pass_reaches_the_service_but_never_a_response_or_the_log()
    {
        const string pass = "Hunter2Secret";
        var base64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(pass));
        using var raw = await RawConnection.OpenAsync(_server.SocketPath);
        var lines = new List<string>
        {
            await raw.ExchangeTextAsync(Request(1, "createInterface", "{\"name\":\"carp1\",\"vhid\":1,\"carpdev\":\"eth0\",\"pass\":\"" + base64 + "\",\"addresses\":[\"192.0.2.100/24\"]}")),
        };
        Assert.Equal(CarpKey.FromPassphrase(pass), _fake.LastCreated!.Key);

        lines.Add(await raw.ExchangeTextAsync(Request(2, "createInterface", "{\"name\":\"carp1\",\"vhid\":1,\"carpdev\":\"eth0\",\"pass\":\"" + base64 + "\"}")));
        lines.Add(await raw.ExchangeTextAsync(Request(3, "setInterface", "{\"name\":\"carp1\",\"pass\":\"" + base64 + "\"}")));
        lines.Add(await raw.ExchangeTextAsync(Request(4, "setInterface", "{\"name\":\"nosuch\",\"pass\":\"" + base64 + "\"}")));
        lines.Add(await raw.ExchangeTextAsync(Request(5, "createInterface", "{\"name\":\"carp2\",\"vhid\":2,\"carpdev\":\"eth0\",\"pass\":\"" + base64 + "!\"}")));
        lines.Add(await raw.ExchangeTextAsync(Request(6, "createInterface", "{\"name\":\"carp2\",\"vhid\":2,\"carpdev\":\"eth0\",\"pass\":[\"" + base64 + "\"]}")));
        lines.Add(await raw.ExchangeTextAsync(Request(7, "createInterface", "{\"name\":\"carp2\",\"vhid\":2,\"carpdev\":\"eth0\",\"pass\":\"" + Convert.ToBase64String(new byte[21]) + "\"}")));
        lines.Add(await raw.ExchangeTextAsync("""{"jsonrpc":"2.0","id":8,"method":"getInterfaces"}"""));
        lines.Add(await raw.ExchangeTextAsync(Request(9, "nosuch", "{\"pass\":\"" + base64 + "\"}")));

        Assert.Contains("\"hasPass\":true", lines[0]);
        Assert.Contains("InterfaceExists", lines[1]);
        Assert.Contains("InterfaceNotFound", lines[3]);
        Assert.Contains("InvalidPass", lines[4]);
        Assert.Contains("-32602", lines[5]);
        Assert.Contains("InvalidPass", lines[6]);
        foreach (var text in lines.Concat(_log))
        {
            Assert.DoesNotContain(base64, text);
            Assert.DoesNotContain(pass, text);
        }
    }

    [Fact]
    public void Many_clients_are_served_at_once()
    {
        _client.CreateInterface(Carp1());
        var clients = Enumerable.Range(0, 8).Select(_ => new CarpdClient(_server.SocketPath, Patience)).ToList();
        try
        {
            Parallel.ForEach(clients, client =>
            {
                for (var i = 0; i < 20; i++)
                {
                    Assert.Equal("carp1", Assert.Single(client.GetInterfaces()).Name);
                }
            });
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public void A_slow_answer_times_out_as_ServiceUnreachable_and_the_client_recovers()
    {
        using var gate = new ManualResetEventSlim(false);
        _fake.Gate = gate;
        using var impatient = new CarpdClient(_server.SocketPath, TimeSpan.FromMilliseconds(200));

        var ex = Assert.Throws<CarpException>(() => impatient.GetInterfaces());

        Assert.Equal(CarpErrorCode.ServiceUnreachable, ex.Code);
        Assert.Contains("did not answer getInterfaces", ex.Message);
        gate.Set();
        _fake.Gate = null;
        Assert.Empty(impatient.GetInterfaces());
    }

    [Fact]
    public void An_absent_carpd_is_ServiceUnreachable_with_what_to_do()
    {
        using var client = new CarpdClient(_dir.File("absent.sock"));

        var ex = Assert.Throws<CarpException>(() => client.GetInterfaces());

        Assert.Equal(CarpErrorCode.ServiceUnreachable, ex.Code);
        Assert.Contains(_dir.File("absent.sock"), ex.Message, StringComparison.Ordinal);
        Assert.Throws<CarpException>(() => client.Subscribe(_ => { }));
    }

    [Fact]
    public void The_client_reconnects_after_carpd_restarts()
    {
        Assert.Empty(_client.GetInterfaces());
        _server.Dispose();
        Assert.False(File.Exists(_dir.File("carpd.sock")));

        var fake = new FakeCarpService();
        using var restarted = CarpControlServer.Start(fake, _dir.File("carpd.sock"));
        fake.CreateInterface(Carp1());

        Assert.Equal("carp1", Assert.Single(_client.GetInterfaces()).Name);
    }

    [Fact]
    public void A_stale_socket_is_replaced_but_a_live_one_or_a_plain_file_is_refused()
    {
        var stalePath = _dir.File("stale.sock");
        using (var stale = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            // .NET unlinks a socket file it bound when the socket is disposed; a crashed carpd would not.
            stale.Bind(new UnixDomainSocketEndPoint(_dir.File("crashed.sock")));
            File.Move(_dir.File("crashed.sock"), stalePath);
        }

        Assert.True(File.Exists(stalePath));
        using (var server = CarpControlServer.Start(_fake, stalePath))
        {
            using var client = new CarpdClient(stalePath);
            client.Ping();
        }

        var ex = Assert.Throws<CarpException>(() => CarpControlServer.Start(_fake, _server.SocketPath));
        Assert.Contains("already listening", ex.Message);
        _client.Ping();

        var plain = _dir.Write("plain.sock", "keep me");
        ex = Assert.Throws<CarpException>(() => CarpControlServer.Start(_fake, plain));
        Assert.Contains("not a socket", ex.Message);
        Assert.Equal("keep me", File.ReadAllText(plain));
    }

    [Fact]
    public void The_server_creates_a_private_directory_and_removes_its_socket_when_disposed()
    {
        var path = Path.Combine(_dir.Path, "run", "carpd.sock");

        var server = CarpControlServer.Start(_fake, path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(path)!));
        server.Dispose();
        Assert.False(File.Exists(path));
        Assert.False(_fake.Disposed);
    }

    private static string Request(int id, string method, string parameters) =>
        "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"" + method + "\",\"params\":" + parameters + "}";

    private static async Task WaitUntil(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (!condition())
        {
            await Task.Yield();
            await Task.Delay(5, timeout.Token);
        }
    }

    /// <summary>A hand-driven client, to see exactly what goes over the wire.</summary>
    private sealed class RawConnection : IDisposable
    {
        private readonly Socket _socket;
        private readonly NetworkStream _stream;
        private readonly StreamReader _reader;

        private RawConnection(Socket socket)
        {
            _socket = socket;
            _stream = new NetworkStream(socket, ownsSocket: true);
            _reader = new StreamReader(_stream, Encoding.UTF8);
        }

        public static async Task<RawConnection> OpenAsync(string path)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
            return new RawConnection(socket);
        }

        public async Task SendAsync(string line)
        {
            var bytes = line.StartsWith('\u00ff') ? [0xff, 0xfe, 0x01, (byte)'\n'] : Encoding.UTF8.GetBytes(line + "\n");
            await _stream.WriteAsync(bytes);
        }

        public async Task<string> ExchangeTextAsync(string line)
        {
            await SendAsync(line);
            using var timeout = new CancellationTokenSource(Patience);
            return await _reader.ReadLineAsync(timeout.Token) ?? throw new EndOfStreamException();
        }

        public async Task<JsonElement> ExchangeAsync(string line)
        {
            var text = await ExchangeTextAsync(line);
            using var document = JsonDocument.Parse(text);
            Assert.Equal("2.0", document.RootElement.GetProperty("jsonrpc").GetString());
            return document.RootElement.Clone();
        }

        public void Dispose()
        {
            _reader.Dispose();
            _socket.Dispose();
        }
    }
}
