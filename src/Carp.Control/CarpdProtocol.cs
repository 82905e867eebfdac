using System.Reflection;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
namespace Carp.Control;

/// <summary>
/// carpd's control protocol: JSON-RPC 2.0, one UTF-8 JSON object per line ('\n'), over a Unix stream
/// socket that only root may open. Documented in docs/carpd-protocol.md.
/// </summary>
public static class CarpdProtocol
{
    /// <summary>The CarpPS version (CarpVersion), shared by carpd, its control socket and the clients.</summary>
    public static string ProductVersion { get; } = ReadVersion();

    private static string ReadVersion()
    {
        var version = typeof(CarpdProtocol).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? typeof(CarpdProtocol).Assembly.GetName().Version?.ToString() ?? "0.0.0";
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? version : version[..plus];
    }

    public const string DefaultSocketPath = "/run/carpd/carpd.sock";

    /// <summary>Raised when the protocol changes incompatibly; reported by <c>version</c>.</summary>
    public const int Version = 1;

    /// <summary>Largest request line the server reads (bytes, without the newline).</summary>
    public const int DefaultMaxRequestBytes = 64 * 1024;

    /// <summary>Largest response or notification line the client reads.</summary>
    public const int MaxResponseBytes = 16 * 1024 * 1024;

    public static class Methods
    {
        public const string GetInterfaces = "getInterfaces";
        public const string CreateInterface = "createInterface";
        public const string SetInterface = "setInterface";
        public const string RemoveInterface = "removeInterface";
        /// <summary>Whether an interface uses a given pass, compared in constant time; never returns the pass.</summary>
        public const string TestPass = "testPass";

        public const string GetSysctls = "getSysctls";
        public const string SetSysctl = "setSysctl";
        public const string GetStatistics = "getStatistics";
        public const string ResetStatistics = "resetStatistics";
        public const string Subscribe = "subscribe";

        /// <summary>Re-read carpd's configuration file and apply what changed (docs/carpd-protocol.md#reload).</summary>
        public const string Reload = "reload";

        /// <summary>The whole state as one JSON object (docs/carpd-protocol.md#getstate); what <c>carpd --status --json</c> prints.</summary>
        public const string GetState = "getState";

        public const string Ping = "ping";
        public const string Version = "version";

        /// <summary>Watch a segment passively for a while and return every vhid seen (docs/carpd-protocol.md#watchnetwork).</summary>
        public const string WatchNetwork = "watchNetwork";

        /// <summary>The notification the server pushes to subscribed connections.</summary>
        public const string Event = "event";
    }

    /// <summary>JSON-RPC error codes carpd uses.</summary>
    public static class ErrorCodes
    {
        public const int ParseError = -32700;
        public const int InvalidRequest = -32600;
        public const int MethodNotFound = -32601;
        public const int InvalidParams = -32602;
        public const int InternalError = -32603;

        /// <summary>The CARP service refused the request; <c>error.data.code</c> holds the <see cref="CarpErrorCode"/> name.</summary>
        public const int CarpError = -32000;
    }
}
