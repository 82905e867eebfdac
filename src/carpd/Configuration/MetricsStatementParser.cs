using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Carp.Engine.Core;

namespace Carpd.Configuration;

/// <summary><c>metrics listen [ADDRESS:PORT]</c>: carpd serves Prometheus metrics there (docs/metrics.md).</summary>
internal sealed record MetricsStatement(int Line, MetricsSettings Settings) : ConfigurationStatement(Line);

/// <summary>
/// Where carpd serves <c>/metrics</c>. Off when the configuration has no <c>metrics</c> line;
/// <c>metrics listen</c> alone listens on <see cref="DefaultEndpoint"/>, loopback only.
/// </summary>
public sealed record MetricsSettings(IPEndPoint Listen)
{
    /// <summary>carpd's default metrics port (docs/metrics.md#listen).</summary>
    public const int DefaultPort = 9651;

    public static IPEndPoint DefaultEndpoint => new(IPAddress.Loopback, DefaultPort);

    /// <summary>Whether only this host can connect: 127.0.0.0/8 or ::1.</summary>
    public bool IsLoopback => IPAddress.IsLoopback(Listen.Address);

    /// <summary>The statement as carpd writes it back.</summary>
    public string Format() => $"metrics listen {FormatEndpoint(Listen)}";

    /// <summary><c>127.0.0.1:9651</c>, <c>[::1]:9651</c>.</summary>
    public static string FormatEndpoint(IPEndPoint endpoint) => endpoint.AddressFamily == AddressFamily.InterNetworkV6
        ? $"[{endpoint.Address}]:{endpoint.Port.ToString(CultureInfo.InvariantCulture)}"
        : $"{endpoint.Address}:{endpoint.Port.ToString(CultureInfo.InvariantCulture)}";

    public override string ToString() => FormatEndpoint(Listen);
}

/// <summary>Parses the <c>metrics</c> statement.</summary>
internal static class MetricsStatementParser
{
    public const string Keyword = "metrics";

    private const string Help = "Write metrics listen (127.0.0.1:9651), or metrics listen ADDRESS:PORT, e.g. metrics listen 127.0.0.1:9651 or metrics listen [::1]:9651.";

    public static MetricsStatement Parse(ConfigurationLine line, int start, int lineNumber, string fileName)
    {
        if (line.Count <= start + 1 || line.Word(start + 1) != "listen")
        {
            throw Error("'metrics' must be followed by 'listen'.");
        }

        if (line.Count > start + 3)
        {
            throw Error("'metrics listen' takes one address:port.");
        }

        if (line.Count == start + 2)
        {
            return new MetricsStatement(lineNumber, new MetricsSettings(MetricsSettings.DefaultEndpoint));
        }

        var text = line.Word(start + 2);
        return TryParseEndpoint(text, out var endpoint)
            ? new MetricsStatement(lineNumber, new MetricsSettings(endpoint))
            : throw new CarpdConfigurationException(fileName, lineNumber, CarpErrorCode.InvalidAddress,
                LooksLikeEndpoint(text)
                    ? $"metrics listen needs an IPv4 or IPv6 address and a port from 1 to 65535; '{text}' is not one."
                    : "metrics listen needs an IPv4 or IPv6 address and a port from 1 to 65535.",
                Help);

        CarpdConfigurationException Error(string problem) => new(fileName, lineNumber, CarpErrorCode.InvalidArgument, problem, Help);
    }

    /// <summary><c>A.B.C.D:PORT</c> or <c>[X::Y]:PORT</c>; an address without a port takes <see cref="MetricsSettings.DefaultPort"/>.</summary>
    public static bool TryParseEndpoint(string text, out IPEndPoint endpoint)
    {
        endpoint = MetricsSettings.DefaultEndpoint;
        string host;
        string? port = null;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                return false;
            }

            host = text[1..close];
            var rest = text[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':')
                {
                    return false;
                }

                port = rest[1..];
            }

            if (!host.Contains(':', StringComparison.Ordinal))
            {
                return false;
            }
        }
        else
        {
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            if (colon >= 0 && text.IndexOf(':', colon + 1) >= 0)
            {
                return false; // a bare IPv6 address: its port would be ambiguous; write [X::Y]:PORT
            }

            host = colon < 0 ? text : text[..colon];
            port = colon < 0 ? null : text[(colon + 1)..];
            if (host.Count(c => c == '.') != 3)
            {
                return false; // IPAddress.TryParse reads "1" or "1.2" as IPv4 too
            }
        }

        if (host.Contains('%', StringComparison.Ordinal) || !IPAddress.TryParse(host, out var address))
        {
            return false;
        }

        var number = MetricsSettings.DefaultPort;
        if (port is not null && (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out number) || number is < 1 or > 65535))
        {
            return false;
        }

        endpoint = new IPEndPoint(address, number);
        return true;
    }

    /// <summary>Only text made of address characters is echoed in an error.</summary>
    private static bool LooksLikeEndpoint(string word) =>
        word.Length <= 60 && word.All(c => char.IsAsciiHexDigit(c) || c is '.' or ':' or '[' or ']');
}
