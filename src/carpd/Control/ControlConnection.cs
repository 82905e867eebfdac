using System.Net.Sockets;
using System.Reflection;
using System.Text.Json.Serialization.Metadata;
using System.Text.Json;
using System.Threading.Channels;
using Carp.Control;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace Carpd.Control;

/// <summary>
/// One client of <see cref="CarpControlServer"/>: reads request lines, answers each in order, and
/// after <c>subscribe</c> pushes <c>event</c> notifications. Nothing a client sends can throw out
/// of <see cref="RunAsync"/>; the pass in a request is never logged nor echoed.
/// </summary>
internal sealed class ControlConnection : IDisposable
{
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(30);
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 32 };

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly ICarpService _service;
    private readonly CarpControlServerOptions _options;
    private readonly int _number;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _closed = new();
    private Channel<CarpEvent>? _events;
    private IDisposable? _subscription;
    private int _disposed;

    public ControlConnection(Socket socket, ICarpService service, CarpControlServerOptions options, int number)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        _service = service;
        _options = options;
        _number = number;
    }

    public async Task RunAsync(CancellationToken stop)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, _closed.Token);
        var token = linked.Token;
        var reader = new LineReader(_stream, _options.MaxRequestBytes);
        Log(CarpLogLevel.Debug, "connected");
        try
        {
            while (!token.IsCancellationRequested)
            {
                var line = await reader.ReadLineAsync(token);
                if (line.Kind == LineKind.End)
                {
                    break;
                }

                if (line.Kind == LineKind.Oversized)
                {
                    Log(CarpLogLevel.Warning, $"sent a request larger than {_options.MaxRequestBytes} bytes; skipped it");
                    await SendAsync(JsonRpc.Error(null, CarpdProtocol.ErrorCodes.InvalidRequest,
                        $"The request is larger than {_options.MaxRequestBytes} bytes.",
                        Data(CarpErrorCode.InvalidArgument, "Send one JSON-RPC request per line, each smaller than that.")), token);
                    continue;
                }

                if (IsBlank(line.Line.Span))
                {
                    continue;
                }

                var (reply, afterReply) = Handle(line.Line);
                LineReader.Wipe(line.Line); // a request may carry a pass
                if (reply is not null)
                {
                    await SendAsync(reply, token);
                }

                afterReply?.Invoke();
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // The client went away or the server is stopping.
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
            Log(CarpLogLevel.Warning, "sent a line that is not JSON");
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

    private (Action<Utf8JsonWriter> WriteResult, Action? AfterReply) Dispatch(string method, JsonElement? parameters)
    {
        var context = CarpdJsonContext.Default;
        switch (method)
        {
            case CarpdProtocol.Methods.GetInterfaces:
                IReadOnlyList<InterfaceStatusDto> list = [.. _service.GetInterfaces().Select(ControlMapper.ToDto)];
                return (JsonRpc.Value(list, context.IReadOnlyListInterfaceStatusDto), null);

            case CarpdProtocol.Methods.CreateInterface:
            {
                var config = ControlMapper.FromDto(Params(method, parameters, context.InterfaceConfigDto));
                var status = _service.CreateInterface(config);
                Log(CarpLogLevel.Info, $"created {config.Name} (vhid {config.Vhid} on {config.CarpDev})");
                return (JsonRpc.Value(ControlMapper.ToDto(status), context.InterfaceStatusDto), null);
            }

            case CarpdProtocol.Methods.SetInterface:
            {
                var (name, change) = ControlMapper.FromDto(Params(method, parameters, context.InterfaceChangeDto));
                var status = _service.SetInterface(name, change);
                Log(CarpLogLevel.Info, $"changed {name}");
                return (JsonRpc.Value(ControlMapper.ToDto(status), context.InterfaceStatusDto), null);
            }

            case CarpdProtocol.Methods.RemoveInterface:
            {
                var name = Params(method, parameters, context.NameParamsDto).Name;
                if (string.IsNullOrEmpty(name))
                {
                    throw new CarpException(CarpErrorCode.InvalidInterfaceName, "removeInterface needs the \"name\" of the interface.");
                }

                _service.RemoveInterface(name);
                Log(CarpLogLevel.Info, $"removed {name}");
                return (JsonRpc.Null, null);
            }

            case CarpdProtocol.Methods.GetSysctls:
                return (JsonRpc.Value(ControlMapper.ToDto(_service.GetSysctls()), context.DictionaryStringInt64), null);

            case CarpdProtocol.Methods.SetSysctl:
            {
                var request = Params(method, parameters, context.SetSysctlParamsDto);
                if (string.IsNullOrEmpty(request.Name) || request.Value is null)
                {
                    throw new CarpException(CarpErrorCode.InvalidArgument, "setSysctl needs a \"name\" and an integer \"value\", e.g. {\"name\": \"preempt\", \"value\": 1}.");
                }

                var sysctls = _service.SetSysctl(request.Name, request.Value.Value);
                Log(CarpLogLevel.Info, $"set sysctl {request.Name}={request.Value}");
                return (JsonRpc.Value(ControlMapper.ToDto(sysctls), context.DictionaryStringInt64), null);
            }

            case CarpdProtocol.Methods.GetStatistics:
                return (JsonRpc.Value(ControlMapper.ToDto(_service.GetStatistics()), context.DictionaryStringInt64), null);

            case CarpdProtocol.Methods.ResetStatistics:
                _service.ResetStatistics();
                Log(CarpLogLevel.Info, "statistics reset");
                return (JsonRpc.Null, null);

            case CarpdProtocol.Methods.Subscribe:
                return (JsonRpc.Value(true, context.Boolean), Subscribe());

            case CarpdProtocol.Methods.Reload:
            {
                var reload = _options.Reload ?? throw new CarpException(CarpErrorCode.InvalidArgument,
                    "carpd runs without --config: there is no configuration file to reload.");
                return (JsonRpc.Value(reload(), context.ConfigurationReloadResult), null);
            }

            case CarpdProtocol.Methods.Ping:
                return (JsonRpc.Value("pong", context.String), null);

            case CarpdProtocol.Methods.Version:
                return (JsonRpc.Value(new VersionDto { Version = CarpdProtocol.ProductVersion, Protocol = CarpdProtocol.Version }, context.VersionDto), null);

            default:
                throw new RpcException(CarpdProtocol.ErrorCodes.MethodNotFound, $"There is no method '{method}'.", CarpErrorCode.InvalidArgument,
                    "Use getInterfaces, createInterface, setInterface, removeInterface, getSysctls, setSysctl, getStatistics, resetStatistics, subscribe, reload, ping or version.");
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
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(WriteTimeout);
        await _writeLock.WaitAsync(timeout.Token);
        try
        {
            await _stream.WriteAsync(line, timeout.Token);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private static T Params<T>(string method, JsonElement? parameters, JsonTypeInfo<T> typeInfo)
    {
        if (parameters is not { } element)
        {
            throw new RpcException(CarpdProtocol.ErrorCodes.InvalidParams, $"{method} needs params.", CarpErrorCode.InvalidArgument,
                "See docs/carpd-protocol.md for the params of each method.");
        }

        try
        {
            return element.Deserialize(typeInfo) ?? throw new JsonException();
        }
        catch (JsonException ex)
        {
            // The serializer's message may quote the offending value (which could be a pass): report only where.
            throw new RpcException(CarpdProtocol.ErrorCodes.InvalidParams,
                $"The params of {method} are not valid at {ex.Path ?? "$"}.", CarpErrorCode.InvalidArgument,
                "See docs/carpd-protocol.md for the params of each method.");
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
