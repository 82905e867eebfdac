using System.Net.Sockets;
using System.Text.Json;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace Carp.Control;

/// <summary>
/// A dedicated connection on which carpd pushes <c>event</c> notifications, read by a background
/// thread that calls the handler for each event in order. Dispose to unsubscribe.
/// </summary>
internal sealed class CarpdSubscription : IDisposable
{
    private readonly CarpdConnection _connection;
    private readonly Action<CarpEvent> _handler;
    private readonly Action<Exception?>? _closed;
    private readonly Action<CarpdSubscription> _onDispose;
    private int _disposed;

    public CarpdSubscription(CarpdConnection connection, Action<CarpEvent> handler, Action<Exception?>? closed, Action<CarpdSubscription> onDispose)
    {
        _connection = connection;
        _handler = handler;
        _closed = closed;
        _onDispose = onDispose;
    }

    public void Start()
    {
        _connection.Stream.ReadTimeout = Timeout.Infinite;
        var thread = new Thread(ReadLoop) { IsBackground = true, Name = "carpd events" };
        thread.Start();
    }

    /// <summary>Handles a notification that arrived before the subscribe reply.</summary>
    public void Deliver(ReadOnlyMemory<byte> line) => TryDispatch(line);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _connection.Dispose();
        _onDispose(this);
    }

    private void ReadLoop()
    {
        Exception? failure = null;
        try
        {
            while (Volatile.Read(ref _disposed) == 0)
            {
                var line = _connection.Reader.ReadLine();
                if (line.Kind == LineKind.End)
                {
                    break;
                }

                if (line.Kind == LineKind.Line)
                {
                    TryDispatch(line.Line);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            failure = ex;
        }

        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            // carpd went away (stopped, restarted): tell the subscriber, once.
            _connection.Dispose();
            _onDispose(this);
            try
            {
                _closed?.Invoke(failure);
            }
            catch (Exception)
            {
                // A callback's failure must not kill the process from this background thread.
            }
        }
    }

    private void TryDispatch(ReadOnlyMemory<byte> line)
    {
        CarpEvent carpEvent;
        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object ||
                !root.TryGetProperty("method", out var method) || method.ValueKind != JsonValueKind.String ||
                method.GetString() != CarpdProtocol.Methods.Event ||
                !root.TryGetProperty("params", out var parameters))
            {
                return;
            }

            var dto = parameters.Deserialize(CarpdJsonContext.Default.EventDto);
            if (dto is null)
            {
                return;
            }

            carpEvent = ControlMapper.FromDto(dto);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or CarpException)
        {
            return; // An event type of a newer carpd, or garbage: skip it.
        }

        try
        {
            _handler(carpEvent);
        }
        catch (Exception)
        {
            // The handler must not throw (ICarpService.Subscribe); if it does, keep delivering.
        }
    }
}
