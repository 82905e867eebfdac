using System.Net.Sockets;
using System.Text.Json;
using System.Text;

namespace Carpd.Tests;

/// <summary>A hand-driven client, to see exactly which lines go over the control socket.</summary>
internal sealed class RawConnection : IDisposable
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
        using var timeout = new CancellationTokenSource(ControlHarness.Patience);
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
