using System.Text.Json;
using Carp.Control;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace Carpd.Control;

/// <summary>The tracker methods (docs/carpd-protocol.md#gettrackers, #addtracker, #removetracker).</summary>
internal sealed partial class ControlConnection
{
    private bool TryDispatchTracker(string method, JsonElement? parameters, out (Action<Utf8JsonWriter> WriteResult, Action? AfterReply) result)
    {
        var context = CarpdJsonContext.Default;
        result = default;
        switch (method)
        {
            case TrackerMethods.GetTrackers:
                IReadOnlyList<TrackerDto> list = [.. Trackers.GetTrackers().Select(TrackerMapper.ToDto)];
                result = (JsonRpc.Value(list, context.IReadOnlyListTrackerDto), null);
                return true;

            case TrackerMethods.AddTracker:
            {
                var config = TrackerMapper.FromDto(Params(method, parameters, context.TrackerDto));
                var status = Trackers.AddTracker(config);
                Log(CarpLogLevel.Info, $"added tracker {config}");
                result = (JsonRpc.Value(TrackerMapper.ToDto(status), context.TrackerDto), null);
                return true;
            }

            case TrackerMethods.RemoveTracker:
            {
                var name = Params(method, parameters, context.NameParamsDto).Name;
                if (string.IsNullOrEmpty(name))
                {
                    throw new CarpException(CarpErrorCode.InvalidArgument, "removeTracker needs the \"name\" of the tracker.");
                }

                Trackers.RemoveTracker(name);
                Log(CarpLogLevel.Info, $"removed tracker {name}");
                result = (JsonRpc.Null, null);
                return true;
            }

            default:
                return false;
        }
    }

    private ICarpTrackers Trackers => _service as ICarpTrackers
        ?? throw new CarpException(CarpErrorCode.ServiceError, "this carpd's engine runs no trackers.");
}
