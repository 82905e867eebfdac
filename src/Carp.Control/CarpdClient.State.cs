using System.Text.Json;

namespace Carp.Control;

public sealed partial class CarpdClient
{
    /// <summary>carpd's whole state (<c>getState</c>, docs/carpd-protocol.md#getstate) as the JSON it sent: what <c>carpd --status --json</c> prints.</summary>
    internal JsonElement GetState() =>
        Call(CarpdProtocol.Methods.GetState, null, CarpdJsonContext.Default.JsonElement);
}
