using System.Net.Sockets;
using System.Text.Json;
using System.Threading.Channels;
using Carp.Control;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace Carpd.Control;

/// <summary>
/// One client of <see cref="CarpControlServer"/>: reads request lines, answers each in order, and
/// after <c>subscribe</c> pushes <c>event</c> notifications. Nothing a client sends can throw out
/// of <see cref="RunAsync"/>; the pass in a request is never logged nor echoed. It closes itself after
/// <see cref="CarpControlServerOptions.IdleTimeout"/> without a request (unless subscribed), when a
/// write is not taken within <see cref="CarpControlServerOptions.WriteTimeout"/>, and after an
/// oversized line; the server may close it to make room (<see cref="IdleFor"/>).
/// </summary>
internal sealed partial class ControlConnection : IDisposable
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 32 };

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly ICarpService _service;
    private readonly CarpControlServerOptions _options;
    private readonly ControlLog _controlLog;
    private readonly int _number;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _closed = new();
    private readonly CancellationTokenSource _idle;
    private Channel<CarpEvent>? _events;
    private IDisposable? _subscription;
    private long _lastProgress;
    private int _pendingWrites;
    private volatile bool _handling;
    private int _disposed;

    public ControlConnection(Socket socket, ICarpService service, CarpControlServerOptions options, ControlLog controlLog, int number)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        _service = service;
        _options = options;
        _controlLog = controlLog;
        _number = number;
        _idle = new CancellationTokenSource(Timeout.InfiniteTimeSpan, options.TimeProvider);
        _lastProgress = options.TimeProvider.GetTimestamp();
    }

    public int Number => _number;

    public bool IsClosed => Volatile.Read(ref _disposed) != 0;

    /// <summary>
    /// How long the client has made no progress (sent no request, took no reply or event), or null if it
    /// may not be closed to make room: it is closed, a request of it is being carried out, or it is a
    /// subscriber waiting for events (one whose events back up is idle).
    /// </summary>
    public TimeSpan? IdleFor(long now)
    {
        if (IsClosed || _handling || (Volatile.Read(ref _events) is not null && Volatile.Read(ref _pendingWrites) == 0))
        {
            return null;
        }

        return _options.TimeProvider.GetElapsedTime(Volatile.Read(ref _lastProgress), now);
    }

    public async Task RunAsync(CancellationToken stop)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, _closed.Token, _idle.Token);
        var token = linked.Token;
        var reader = new LineReader(_stream, _options.MaxRequestBytes);
        Log(CarpLogLevel.Debug, "connected");
        try
        {
            while (!token.IsCancellationRequested)
            {
                // A subscriber waits for events, not requests: it goes when it stops reading them (WriteTimeout).
                _idle.CancelAfter(Volatile.Read(ref _events) is null ? _options.IdleTimeout : Timeout.InfiniteTimeSpan);
                var line = await reader.ReadLineAsync(token);
                if (line.Kind == LineKind.End)
                {
                    break;
                }

                _idle.CancelAfter(Timeout.InfiniteTimeSpan); // the clock runs while waiting for a request, not while serving one
                Volatile.Write(ref _lastProgress, _options.TimeProvider.GetTimestamp());
                if (line.Kind == LineKind.Oversized)
                {
                    // Answer and close: reading on would mean taking in whatever else the client sends.
                    _controlLog.Report(ControlLogKind.Malformed, _number, $"sent a request larger than {_options.MaxRequestBytes} bytes; closed the connection");
                    await SendAsync(JsonRpc.Error(null, CarpdProtocol.ErrorCodes.InvalidRequest,
                        $"The request is larger than {_options.MaxRequestBytes} bytes.",
                        Data(CarpErrorCode.InvalidArgument, "Send one JSON-RPC request per line, each smaller than that.")), token);
                    break;
                }

                if (IsBlank(line.Line.Span))
                {
                    continue;
                }

                _handling = true;
                byte[]? reply;
                Action? afterReply;
                try
                {
                    (reply, afterReply) = Handle(line.Line);
                }
                finally
                {
                    LineReader.Wipe(line.Line); // a request may carry a pass
                    _handling = false;
                }

                if (reply is not null)
                {
                    await SendAsync(reply, token);
                }

                afterReply?.Invoke();
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            if (_idle.IsCancellationRequested && !stop.IsCancellationRequested && !IsClosed)
            {
                _controlLog.Report(ControlLogKind.IdleTimedOut, _number, $"sent nothing for {_options.IdleTimeout.TotalSeconds:0.###} s; closed the connection");
            }

            // Otherwise the client went away or the server is stopping.
        }
        finally
        {
            Log(CarpLogLevel.Debug, "disconnected");
            Close();
        }
    }

    /// <summary>Ends the connection; safe from any thread, any number of times.</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Interlocked.Exchange(ref _subscription, null)?.Dispose();
        _events?.Writer.TryComplete();
        try
        {
            _closed.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }

        _stream.Dispose();
        _socket.Dispose();
        _idle.Dispose();
    }

    public void Dispose() => Close();

    private (byte[]? Reply, Action? AfterReply) Handle(ReadOnlyMemory<byte> line)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line, DocumentOptions);
        }
        catch (JsonException)
        {
            _controlLog.Report(ControlLogKind.Malformed, _number, "sent a line that is not JSON");
            return (JsonRpc.Error(null, CarpdProtocol.ErrorCodes.ParseError, "The request is not valid JSON.",
                Data(CarpErrorCode.InvalidArgument, "Send one JSON-RPC 2.0 request object per line, in UTF-8.")), null);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (InvalidRequest(null, root.ValueKind == JsonValueKind.Array ? "Batch requests are not supported." : "A request must be a JSON object."), null);
            }

            JsonElement? id = null;
            var hasId = false;
            if (root.TryGetProperty("id", out var idElement))
            {
                if (idElement.ValueKind is not (JsonValueKind.Number or JsonValueKind.String or JsonValueKind.Null))
                {
                    return (InvalidRequest(null, "\"id\" must be a number or a string."), null);
                }

                id = idElement.Clone();
                hasId = true;
            }

            if (!root.TryGetProperty("jsonrpc", out var version) || version.ValueKind != JsonValueKind.String || version.GetString() != "2.0")
            {
                return (InvalidRequest(id, "\"jsonrpc\" must be \"2.0\"."), null);
            }

            if (!root.TryGetProperty("method", out var methodElement) || methodElement.ValueKind != JsonValueKind.String)
            {
                return (InvalidRequest(id, "\"method\" must be a string."), null);
            }

            var method = methodElement.GetString()!;
            JsonElement? parameters = root.TryGetProperty("params", out var p) && p.ValueKind != JsonValueKind.Null ? p : null;
            byte[]? reply;
            Action? afterReply = null;
            try
            {
                if (parameters is { ValueKind: not JsonValueKind.Object })
                {
                    throw new RpcException(CarpdProtocol.ErrorCodes.InvalidParams, "\"params\" must be an object (named parameters).",
                        CarpErrorCode.InvalidArgument, "See docs/carpd-protocol.md for the params of each method.");
                }

                var (writeResult, after) = Dispatch(method, parameters);
                afterReply = after;
                reply = JsonRpc.Result(id, writeResult);
            }
            catch (CarpException ex)
            {
                Log(CarpLogLevel.Info, $"{method} refused ({ex.Code}): {ex.Message}");
                reply = JsonRpc.Error(id, CarpdProtocol.ErrorCodes.CarpError, ex.Message, Data(ex.Code, CarpdAdvice.For(ex.Code)));
            }
            catch (RpcException ex)
            {
                Log(CarpLogLevel.Debug, $"{method}: {ex.Message}");
                reply = JsonRpc.Error(id, ex.RpcCode, ex.Message, Data(ex.Code, ex.RecommendedAction));
            }
            catch (Exception ex)
            {
                Log(CarpLogLevel.Error, $"{method} failed: {ex.GetType().Name}: {ex.Message}");
                reply = JsonRpc.Error(id, CarpdProtocol.ErrorCodes.InternalError, $"carpd failed while handling {method}: {ex.Message}",
                    Data(CarpErrorCode.ServiceError, CarpdAdvice.For(CarpErrorCode.ServiceError)));
            }

            // A notification (no id) is carried out but never answered.
            return (hasId ? reply : null, afterReply);
        }
    }

    /// <summary>Subscribes now (events queue up) and starts pushing them once the reply is on its way.</summary>
    private Action? Subscribe()
    {
        if (_events is not null)
        {
            return null;
        }

        var events = Channel.CreateBounded<CarpEvent>(new BoundedChannelOptions(_options.MaxQueuedEvents)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
            SingleWriter = false,
        });
        _subscription = _service.Subscribe(e => events.Writer.TryWrite(e));
        _events = events;
        if (Volatile.Read(ref _disposed) != 0)
        {
            // Closed while subscribing: do not leave a handler behind in the engine.
            Interlocked.Exchange(ref _subscription, null)?.Dispose();
            return null;
        }

        Log(CarpLogLevel.Debug, "subscribed to events");
        return () => _ = Task.Run(() => PumpAsync(events.Reader));
    }

    private async Task PumpAsync(ChannelReader<CarpEvent> events)
    {
        try
        {
            await foreach (var carpEvent in events.ReadAllAsync(_closed.Token))
            {
                var dto = ControlMapper.ToDto(carpEvent);
                if (dto is not null)
                {
                    await SendAsync(JsonRpc.Notification(CarpdProtocol.Methods.Event, JsonRpc.Value(dto, CarpdJsonContext.Default.EventDto)), _closed.Token);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            Close();
        }
    }

    private async Task SendAsync(byte[] line, CancellationToken token)
    {
        using var timeout = new CancellationTokenSource(_options.WriteTimeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(token, timeout.Token);
        Interlocked.Increment(ref _pendingWrites);
        try
        {
            await _writeLock.WaitAsync(linked.Token);
            try
            {
                await _stream.WriteAsync(line, linked.Token);
                Volatile.Write(ref _lastProgress, _options.TimeProvider.GetTimestamp());
            }
            finally
            {
                _writeLock.Release();
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !token.IsCancellationRequested)
        {
            _controlLog.Report(ControlLogKind.NotReading, _number, $"took no reply or event for {_options.WriteTimeout.TotalSeconds:0.###} s; cut it off");
            Close();
            throw;
        }
        finally
        {
            Interlocked.Decrement(ref _pendingWrites);
        }
    }

    private static byte[] InvalidRequest(JsonElement? id, string message) =>
        JsonRpc.Error(id, CarpdProtocol.ErrorCodes.InvalidRequest, message,
            Data(CarpErrorCode.InvalidArgument, "Send {\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"...\", \"params\": {...}} on one line."));

    private static ErrorDataDto Data(CarpErrorCode code, string? action) => new() { Code = code.ToString(), RecommendedAction = action };

    private static bool IsBlank(ReadOnlySpan<byte> line)
    {
        foreach (var b in line)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r'))
            {
                return false;
            }
        }

        return true;
    }

    private void Log(CarpLogLevel level, string message) => _options.Log?.Invoke(level, $"control client {_number}: {message}");

    /// <summary>A protocol-level refusal with its JSON-RPC code.</summary>
    private sealed class RpcException(int rpcCode, string message, CarpErrorCode code, string? recommendedAction) : Exception(message)
    {
        public int RpcCode { get; } = rpcCode;

        public CarpErrorCode Code { get; } = code;

        public string? RecommendedAction { get; } = recommendedAction;
    }
}
