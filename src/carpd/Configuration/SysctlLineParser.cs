using System.Globalization;
using System.Text;
using Carp.Engine.Core;

namespace Carpd.Configuration;

/// <summary>A sysctl line: <c>net.inet.carp.NAME=VALUE</c>, a short name, spaces around '=' allowed.</summary>
internal static class SysctlLineParser
{
    /// <summary>True when the words from <paramref name="start"/> on assign a value (a '=' in the first word or starting the second).</summary>
    public static bool IsAssignment(ConfigurationLine line, int start) =>
        line[start].Contains((byte)'=') || (line.Count > start + 1 && line[start + 1].StartsWith("="u8));

    public static SysctlStatement Parse(ConfigurationLine line, int start, int lineNumber, string fileName)
    {
        var text = new StringBuilder();
        for (var i = start; i < line.Count; i++)
        {
            text.Append(line.Word(i));
        }

        var joined = text.ToString();
        var equals = joined.IndexOf('=', StringComparison.Ordinal);
        var name = joined[..equals];
        var valueText = joined[(equals + 1)..];
        var descriptor = SysctlCatalog.Find(name) ?? throw new CarpdConfigurationException(fileName, lineNumber, CarpErrorCode.UnknownSysctl,
            name.Length == 0 ? "a sysctl line has no name before '='." : $"there is no CARP sysctl named '{name}'.",
            "Use one of: " + string.Join(", ", SysctlCatalog.All.Select(d => d.FullName)) + ".");
        if (!long.TryParse(valueText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            throw new CarpdConfigurationException(fileName, lineNumber, CarpErrorCode.InvalidSysctlValue,
                $"the value of {descriptor.FullName} must be a whole number.", $"Write e.g. {descriptor.FullName}={descriptor.DefaultValue}.");
        }

        return new SysctlStatement(lineNumber, descriptor, value);
    }
}
