using Carp.Engine.Core;

namespace Carpd.Configuration;

/// <summary>The rules of the <c>metrics</c> statement across a file: one per file; a listener others can reach is a warning.</summary>
internal static class MetricsConfiguration
{
    public static MetricsStatement Add(MetricsStatement? previous, MetricsStatement statement, string fileName, List<string> warnings)
    {
        if (previous is not null)
        {
            throw new CarpdConfigurationException(fileName, statement.Line, CarpErrorCode.InvalidArgument,
                $"metrics is already set on line {previous.Line}.", "Keep one metrics line.");
        }

        if (!statement.Settings.IsLoopback)
        {
            warnings.Add($"{fileName}:{statement.Line}: metrics listen {statement.Settings}: the metrics (states, addresses, counters) can be read " +
                "by anyone who reaches that address; carpd serves them without authentication. Prefer 127.0.0.1 behind a proxy, or filter the port.");
        }

        return statement;
    }
}
