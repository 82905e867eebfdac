using System.Net;
using System.Net.Sockets;
using System.Text;
using Carp.Engine.Hosting;

namespace Carpd.Metrics;

/// <summary>
/// A minimal HTTP/1.1 server for Prometheus' scrapes: <c>GET /metrics</c> (and <c>HEAD</c>) answers the text
/// format, <c>/</c> a pointer to it, anything else 404 or 405; one request per connection (<c>Connection: close</c>).
/// No ASP.NET or HttpListener: a socket, a bounded header read (8 KiB, 10 s) and at most
/// <see cref="MaxClients"/> clients at once (more are closed at once), so a slow or hostile client costs little.
/// Idle, it is one pending accept: no thread, no timer.
/// </summary>
internal sealed class MetricsHttpServer : IDisposable
{
    public const int MaxClients = 4;
    public const int MaxHeaderBytes = 8 * 1024;
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    private readonly Socket _listener;
    private readonly Func<Stream, CancellationToken, Task> _writeMetrics;
    private readonly Action<CarpLogLevel, string>? _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _clients = new(MaxClients, MaxClients);
    private readonly Task _accepting;

    private MetricsHttpServer(Socket listener, Func<Stream, CancellationToken, Task> writeMetrics, Action<CarpLogLevel, string>? log)
    {
        _listener = listener;
        _writeMetrics = writeMetrics;
        _log = log;
        Endpoint = (IPEndPoint)listener.LocalEndPoint!;
        _accepting = Task.Run(AcceptLoopAsync);
    }

    /// <summary>Where it listens (with the port the kernel chose when 0 was asked for).</summary>
    public IPEndPoint Endpoint { get; }

    /// <summary>Binds and listens; throws <see cref="SocketException"/> when the address is taken or not on this host.</summary>
    public static MetricsHttpServer Start(IPEndPoint endpoint, Func<Stream, CancellationToken, Task> writeMetrics, Action<CarpLogLevel, string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(writeMetrics);
        var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            if (endpoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                listener.DualMode = false;
            }

            listener.Bind(endpoint);
            listener.Listen(16);
            return new MetricsHttpServer(listener, writeMetrics, log);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        _stop.Cancel();
        _listener.Dispose();
        try
        {
            _accepting.Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }

                continue;
            }

            if (!_clients.Wait(0))
            {
                client.Dispose(); // MaxClients are being served: a scraper retries at its next interval
                continue;
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(RequestTimeout);
            await using var stream = new NetworkStream(client, ownsSocket: true);
            var request = await ReadRequestLineAsync(stream, timeout.Token).ConfigureAwait(false);
            if (request is null)
            {
                await RespondAsync(stream, 400, "Bad Request", "text/plain; charset=utf-8", "Bad request.\n"u8.ToArray(), true, timeout.Token).ConfigureAwait(false);
                return;
            }

            var (method, target) = request.Value;
            var path = target.Split('?', 2)[0];
            var withBody = method != "HEAD";
            if (method is not ("GET" or "HEAD"))
            {
                await RespondAsync(stream, 405, "Method Not Allowed", "text/plain; charset=utf-8", "Only GET and HEAD.\n"u8.ToArray(), true, timeout.Token, "Allow: GET, HEAD\r\n").ConfigureAwait(false);
            }
            else if (path == "/metrics")
            {
                using var body = new MemoryStream();
                await _writeMetrics(body, timeout.Token).ConfigureAwait(false);
                await RespondAsync(stream, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", body.GetBuffer().AsMemory(0, (int)body.Length), withBody, timeout.Token).ConfigureAwait(false);
            }
            else if (path == "/")
            {
                await RespondAsync(stream, 200, "OK", "text/plain; charset=utf-8", "carpd: Prometheus metrics at /metrics\n"u8.ToArray(), withBody, timeout.Token).ConfigureAwait(false);
            }
            else
            {
                await RespondAsync(stream, 404, "Not Found", "text/plain; charset=utf-8", "Not found: carpd serves /metrics.\n"u8.ToArray(), withBody, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away or was too slow: nothing to answer.
        }
        catch (Exception ex)
        {
            _log?.Invoke(CarpLogLevel.Error, $"metrics: a scrape failed: {ex.GetType().Name}: {ex.Message}");
        }
        finally
        {
            _clients.Release();
        }
    }

    /// <summary>Reads the header up to its blank line; returns the method and target of the request line, or null if it is not HTTP.</summary>
    private static async Task<(string Method, string Target)?> ReadRequestLineAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxHeaderBytes];
        var length = 0;
        while (true)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return null;
            }

            length += read;
            var text = buffer.AsSpan(0, length);
            if (text.IndexOf("\r\n\r\n"u8) >= 0 || text.IndexOf("\n\n"u8) >= 0)
            {
                break;
            }

            if (length == buffer.Length)
            {
                return null;
            }
        }

        var header = Encoding.ASCII.GetString(buffer, 0, length);
        var firstLine = header[..header.IndexOf('\n', StringComparison.Ordinal)].TrimEnd('\r');
        var parts = firstLine.Split(' ');
        return parts.Length == 3 && parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal) && parts[1].StartsWith('/')
            ? (parts[0], parts[1])
            : null;
    }

    private static async Task RespondAsync(Stream stream, int status, string reason, string contentType, ReadOnlyMemory<byte> body, bool withBody,
        CancellationToken cancellationToken, string extraHeaders = "")
    {
        var head = Encoding.ASCII.GetBytes(
            $"HTTP/1.1 {status} {reason}\r\nContent-Type: {contentType}\r\nContent-Length: {body.Length}\r\n{extraHeaders}Connection: close\r\n\r\n");
        await stream.WriteAsync(head, cancellationToken).ConfigureAwait(false);
        if (withBody)
        {
            await stream.WriteAsync(body, cancellationToken).ConfigureAwait(false);
        }

        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
