using Carp.Control;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace Carpd.Control;

/// <summary>The watchNetwork method (docs/carpd-protocol.md#watchnetwork): a passive watch of segments, answered when it ends.</summary>
internal sealed partial class ControlConnection
{
    private (Action<System.Text.Json.Utf8JsonWriter> WriteResult, Action? AfterReply) WatchNetwork(System.Text.Json.JsonElement? parameters)
    {
        var context = CarpdJsonContext.Default;
        var request = SegmentWatchControl.FromDto(Params(CarpdProtocol.Methods.WatchNetwork, parameters, context.WatchNetworkParamsDto));
        _ = request.ToOptions(); // refuses what is out of range before anything is opened
        var watch = _options.WatchNetwork ?? throw new CarpException(CarpErrorCode.InvalidArgument, "This carpd cannot watch a segment.");
        Log(CarpLogLevel.Info, $"watching {string.Join(", ", request.Interfaces)} for {request.Duration.TotalSeconds:0.###} s");
        var result = watch(request, _closed.Token);
        return (JsonRpc.Value(SegmentWatchControl.ToDto(result), context.WatchNetworkResultDto), null);
    }
}
