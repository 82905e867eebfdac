using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace Carp.Control;

/// <summary>carpd's health trackers over the control socket (docs/carpd-protocol.md#gettrackers).</summary>
public sealed partial class CarpdClient : ICarpTrackers
{
    public IReadOnlyList<TrackerStatus> GetTrackers() =>
        [.. (Call(TrackerMethods.GetTrackers, null, CarpdJsonContext.Default.IReadOnlyListTrackerDto) ?? []).Select(d => TrackerMapper.FromDto(d, status: true))];

    public TrackerStatus AddTracker(TrackerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var dto = Call(TrackerMethods.AddTracker, JsonRpc.Value(TrackerMapper.ToDto(config), CarpdJsonContext.Default.TrackerDto), CarpdJsonContext.Default.TrackerDto)
            ?? throw new CarpException(CarpErrorCode.ServiceError, "carpd returned no tracker.");
        return TrackerMapper.FromDto(dto, status: true);
    }

    public void RemoveTracker(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Call<bool>(TrackerMethods.RemoveTracker, JsonRpc.Value(new NameParamsDto { Name = name }, CarpdJsonContext.Default.NameParamsDto), null);
    }
}
