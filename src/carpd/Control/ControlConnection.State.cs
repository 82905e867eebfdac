using System.Text.Json;
using Carp.Control;

namespace Carpd.Control;

internal sealed partial class ControlConnection
{
    /// <summary><c>getState</c>: the whole state (docs/carpd-protocol.md#getstate).</summary>
    private Action<Utf8JsonWriter> GetState()
    {
        var state = CarpdState.Read(_service, _options.TimeProvider);
        state = _options.CompleteState?.Invoke(state) ?? state;
        return JsonRpc.Value(state, CarpdJsonContext.Default.CarpdStateDto);
    }
}
