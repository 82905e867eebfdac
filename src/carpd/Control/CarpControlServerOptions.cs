using Carp.Control;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
namespace Carpd.Control;

public sealed record CarpControlServerOptions
{
    /// <summary>Largest request line accepted; a longer one gets an error reply and is skipped.</summary>
    public int MaxRequestBytes { get; init; } = CarpdProtocol.DefaultMaxRequestBytes;

    /// <summary>Clients served at once; one more is told so and disconnected.</summary>
    public int MaxConnections { get; init; } = 64;

    /// <summary>Events queued for a slow subscriber before the oldest are dropped (the engine never waits for a client).</summary>
    public int MaxQueuedEvents { get; init; } = 10_000;

    /// <summary>Receives the server's log lines (connections, requests, failures); never a pass.</summary>
    public Action<CarpLogLevel, string>? Log { get; init; }

    /// <summary>Carries out the <c>reload</c> method (re-read the configuration file); null when carpd runs without one.</summary>
    public Func<ConfigurationReloadResult>? Reload { get; init; }
}
