using Carp.Control;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
namespace Carpd.Control;

public sealed record CarpControlServerOptions
{
    /// <summary>Largest request line accepted; a longer one gets an error reply and the connection is closed.</summary>
    public int MaxRequestBytes { get; init; } = CarpdProtocol.DefaultMaxRequestBytes;

    /// <summary>
    /// Clients served at once. When one more connects, the client idle longest is closed to make room;
    /// if none is idle (all are busy or subscribed and reading), the new one is told so and disconnected.
    /// </summary>
    public int MaxConnections { get; init; } = 64;

    /// <summary>A client that sends no request for this long is disconnected (not a subscriber that reads its events); infinite turns it off.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A client that does not take a reply or an event within this long (it sends more than it reads) is cut off.</summary>
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Events queued for a slow subscriber before the oldest are dropped (the engine never waits for a client).</summary>
    public int MaxQueuedEvents { get; init; } = 10_000;

    /// <summary>Warnings about clients (malformed input, refused, evicted, timed out) are logged once per kind per interval, then summarized.</summary>
    public TimeSpan LogInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The clock of the idle and write timeouts and of the log's intervals.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Receives the server's log lines (connections, requests, failures); never a pass.</summary>
    public Action<CarpLogLevel, string>? Log { get; init; }

    /// <summary>Carries out the <c>reload</c> method (re-read the configuration file); null when carpd runs without one.</summary>
    public Func<ConfigurationReloadResult>? Reload { get; init; }

    /// <summary>Completes <c>getState</c> with what carpd knows beyond the engine (its process, files, metrics, transitions by reason); null: the engine's part only.</summary>
    internal Func<CarpdStateDto, CarpdStateDto>? CompleteState { get; init; }
    /// <summary>Carries out the <c>watchNetwork</c> method (a passive watch of segments); null when this carpd cannot watch.</summary>
    public Func<SegmentWatchRequest, CancellationToken, SegmentWatchResult>? WatchNetwork { get; init; }
}
