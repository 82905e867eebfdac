namespace Carpd.Metrics;

/// <summary>
/// One health tracker as <c>carp_tracker_up{tracker}</c> shows it (docs/metrics.md#trackers). carpd's trackers are
/// another feature's: <see cref="CarpdMetrics"/> takes a source of these and exports whatever it returns; until a
/// source is wired, no <c>carp_tracker_up</c> series exists.
/// </summary>
/// <param name="Tracker">The tracker's name.</param>
/// <param name="Up">Its check passes (1) or fails (0).</param>
/// <param name="Interface">The carp interface it demotes, if it is tied to one (the series' <c>interface</c> label; empty otherwise).</param>
internal sealed record TrackerMetric(string Tracker, bool Up, string? Interface = null);
