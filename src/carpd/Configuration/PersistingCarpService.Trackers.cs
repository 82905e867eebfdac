using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace Carpd.Configuration;

/// <summary>Trackers added or removed at run time are saved as <c>track</c> lines (docs/protocol.md#trackers).</summary>
public sealed partial class PersistingCarpService : ICarpTrackers
{
    private ICarpTrackers InnerTrackers => _inner as ICarpTrackers
        ?? throw new CarpException(CarpErrorCode.ServiceError, "this engine runs no trackers.");

    public IReadOnlyList<TrackerStatus> GetTrackers() => InnerTrackers.GetTrackers();

    /// <summary>Checks the command's file (root's only), starts the tracker and saves it.</summary>
    public TrackerStatus AddTracker(TrackerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        TrackerCommandCheck.Check(config);
        lock (_gate)
        {
            if (_configuration.Trackers.Any(t => t.Name == config.Name))
            {
                throw new CarpException(CarpErrorCode.TrackerExists, $"a tracker named {config.Name} exists already.");
            }

            var updated = Loadable(_configuration.WithTracker(config));
            var status = InnerTrackers.AddTracker(config);
            Persist(updated, $"tracker {config.Name} added");
            return status;
        }
    }

    public void RemoveTracker(string name)
    {
        lock (_gate)
        {
            try
            {
                InnerTrackers.RemoveTracker(name);
            }
            catch (CarpException ex) when (ex.Code == CarpErrorCode.TrackerNotFound && _configuration.Trackers.Any(t => t.Name == name))
            {
                // In the file but not running (refused at start): removing it means taking it out of the file.
            }

            Persist(_configuration.WithoutTracker(name), $"tracker {name} removed");
        }
    }
}
