using System.Text.Json;
using System.Text;
using Carp.Engine.Core;
using Carp.Engine.Protocol;

namespace Carpd.Tests;

/// <summary>The JSON-RPC lines on the socket itself, written by hand: errors, limits, notifications, passes.</summary>
public sealed class ControlSocketTests : IDisposable
{
    private readonly ControlHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Theory]
    [InlineData(CarpErrorCode.DuplicateVhid)]
    [InlineData(CarpErrorCode.UnknownSysctl)]
    public async Task A_refusal_on_the_socket_carries_carpds_own_advice(CarpErrorCode code)
    {
        _h.Fake.NextError = new CarpException(code, "refused for a reason.");
        using var raw = await RawConnection.OpenAsync(_h.Server.SocketPath);

        var reply = await raw.ExchangeAsync(ControlHarness.Request(1, "getInterfaces", "{}"));

        var data = reply.GetProperty("error").GetProperty("data");
        Assert.Equal(code.ToString(), data.GetProperty("code").GetString());
        Assert.Equal(CarpdAdvice.For(code), data.GetProperty("recommendedAction").GetString());
        Assert.DoesNotMatch(@"\b(Get|Set|New|Remove|Connect)-Carp", data.GetProperty("recommendedAction").GetString()!);
    }

    [Fact]
    public async Task Garbage_gets_a_parse_error_and_the_connection_and_server_survive()
    {
        using var raw = await RawConnection.OpenAsync(_h.Server.SocketPath);

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
        Assert.Equal("pong", await Task.Run(() => { _h.Client.Ping(); return "pong"; }, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task An_oversized_request_is_refused_and_the_connection_closed()
    {
        using var raw = await RawConnection.OpenAsync(_h.Server.SocketPath);

        var reply = await raw.ExchangeAsync(ControlHarness.Request(1, "ping", "{\"x\":\"" + new string('a', 100_000) + "\"}"));
        Assert.Equal(-32600, reply.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Contains("4096", reply.GetProperty("error").GetProperty("message").GetString());

        await Assert.ThrowsAnyAsync<IOException>(() => raw.ExchangeAsync("""{"jsonrpc":"2.0","id":2,"method":"ping"}"""));
        _h.Client.Ping();
    }

    [Fact]
    public async Task A_notification_is_carried_out_but_not_answered()
    {
        using var raw = await RawConnection.OpenAsync(_h.Server.SocketPath);
        await raw.SendAsync("""{"jsonrpc":"2.0","method":"resetStatistics"}""");

        var reply = await raw.ExchangeAsync("""{"jsonrpc":"2.0","id":1,"method":"ping"}""");

        Assert.Equal(1, reply.GetProperty("id").GetInt32());
        Assert.Contains("ResetStatistics", _h.Fake.Calls);
    }

    [Fact]
    public async Task A_pass_reaches_the_service_but_never_a_response_or_the_log()
    {
        const string pass = "Hunter2Secret";
        var base64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(pass));
        using var raw = await RawConnection.OpenAsync(_h.Server.SocketPath);
        var lines = new List<string>
        {
            await raw.ExchangeTextAsync(ControlHarness.Request(1, "createInterface", "{\"name\":\"carp1\",\"vhid\":1,\"carpdev\":\"eth0\",\"pass\":\"" + base64 + "\",\"addresses\":[\"192.0.2.100/24\"]}")),
        };
        Assert.Equal(CarpKey.FromPassphrase(pass), _h.Fake.LastCreated!.Key);

        lines.Add(await raw.ExchangeTextAsync(ControlHarness.Request(2, "createInterface", "{\"name\":\"carp1\",\"vhid\":1,\"carpdev\":\"eth0\",\"pass\":\"" + base64 + "\"}")));
        lines.Add(await raw.ExchangeTextAsync(ControlHarness.Request(3, "setInterface", "{\"name\":\"carp1\",\"pass\":\"" + base64 + "\"}")));
        lines.Add(await raw.ExchangeTextAsync(ControlHarness.Request(4, "setInterface", "{\"name\":\"nosuch\",\"pass\":\"" + base64 + "\"}")));
        lines.Add(await raw.ExchangeTextAsync(ControlHarness.Request(5, "createInterface", "{\"name\":\"carp2\",\"vhid\":2,\"carpdev\":\"eth0\",\"pass\":\"" + base64 + "!\"}")));
        lines.Add(await raw.ExchangeTextAsync(ControlHarness.Request(6, "createInterface", "{\"name\":\"carp2\",\"vhid\":2,\"carpdev\":\"eth0\",\"pass\":[\"" + base64 + "\"]}")));
        lines.Add(await raw.ExchangeTextAsync(ControlHarness.Request(7, "createInterface", "{\"name\":\"carp2\",\"vhid\":2,\"carpdev\":\"eth0\",\"pass\":\"" + Convert.ToBase64String(new byte[21]) + "\"}")));
        lines.Add(await raw.ExchangeTextAsync("""{"jsonrpc":"2.0","id":8,"method":"getInterfaces"}"""));
        lines.Add(await raw.ExchangeTextAsync(ControlHarness.Request(9, "nosuch", "{\"pass\":\"" + base64 + "\"}")));

        Assert.Contains("\"hasPass\":true", lines[0]);
        Assert.Contains("InterfaceExists", lines[1]);
        Assert.Contains("InterfaceNotFound", lines[3]);
        Assert.Contains("InvalidPass", lines[4]);
        Assert.Contains("-32602", lines[5]);
        Assert.Contains("InvalidPass", lines[6]);
        foreach (var text in lines.Concat(_h.Log))
        {
            Assert.DoesNotContain(base64, text);
            Assert.DoesNotContain(pass, text);
        }
    }

    [Fact]
    public async Task TestPass_answers_whether_a_pass_matches_and_neither_it_nor_the_answer_is_logged()
    {
        const string pass = "Hunter2Secret";
        var base64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(pass));
        _h.Client.CreateInterface(ControlHarness.Carp1(CarpKey.FromPassphrase(pass)));
        using var raw = await RawConnection.OpenAsync(_h.Server.SocketPath);
        var right = await raw.ExchangeTextAsync(ControlHarness.Request(1, "testPass", "{\"name\":\"carp1\",\"pass\":\"" + base64 + "\"}"));
        var wrong = await raw.ExchangeTextAsync(ControlHarness.Request(2, "testPass", "{\"name\":\"carp1\",\"pass\":\"" + base64[..^4] + "\"}"));
        var none = await raw.ExchangeTextAsync(ControlHarness.Request(3, "testPass", "{\"name\":\"carp1\"}"));
        var missing = await raw.ExchangeTextAsync(ControlHarness.Request(4, "testPass", "{\"name\":\"carp9\",\"pass\":\"" + base64 + "\"}"));
        var bad = await raw.ExchangeTextAsync(ControlHarness.Request(5, "testPass", "{\"name\":\"carp1\",\"pass\":\"!!\"}"));

        Assert.Contains("\"result\":true", right);
        Assert.Contains("\"result\":false", wrong);
        Assert.Contains("\"result\":false", none);
        Assert.Contains("InterfaceNotFound", missing);
        Assert.Contains("InvalidPass", bad);
        Assert.True(_h.Client.PassMatches("carp1", CarpKey.FromPassphrase(pass)));
        Assert.False(_h.Client.PassMatches("carp1", CarpKey.Empty));
        foreach (var text in _h.Log)
        {
            Assert.DoesNotContain(base64, text);
            Assert.DoesNotContain(pass, text);
        }
    }
}
