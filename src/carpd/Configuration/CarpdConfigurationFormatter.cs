using System.Globalization;
using System.Text;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace Carpd.Configuration;

/// <summary>
/// Writes a configuration in the language <see cref="CarpdConfigurationParser"/> reads. Given the
/// previous text of the file it keeps comments, blank lines, order and every line whose meaning did
/// not change, rewrites changed lines, drops removed interfaces and appends new statements.
/// </summary>
internal static class CarpdConfigurationFormatter
{
    private const string Header =
        "# carpd configuration: sysctl lines (net.inet.carp.NAME=VALUE) and carp interface lines\n" +
        "# (carpN vhid N carpdev IF [pass WORD|passhex HEX|passfile PATH] [advbase N] [advskew N] ... ADDRESS/PREFIX ...).\n" +
        "# carpd rewrites this file when interfaces or sysctls are changed at run time; comments are kept.\n";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static string Format(CarpdConfiguration configuration, string? previousText)
    {
        if (string.IsNullOrWhiteSpace(previousText))
        {
            return FormatFresh(configuration);
        }

        var output = new List<string>();
        var writtenSysctls = new HashSet<string>(StringComparer.Ordinal);
        var writtenInterfaces = new HashSet<string>(StringComparer.Ordinal);
        var lastSysctl = -1;
        var firstInterface = -1;
        var lines = previousText.Split('\n');
        var count = lines[^1].Length == 0 ? lines.Length - 1 : lines.Length;
        for (var i = 0; i < count; i++)
        {
            var line = lines[i].TrimEnd('\r');
            ConfigurationStatement? statement;
            try
            {
                statement = CarpdConfigurationParser.ParseStatement(line, i + 1, string.Empty);
            }
            catch (CarpdConfigurationException)
            {
                // Not ours to repair: keep what the administrator wrote.
                output.Add(line);
                continue;
            }

            var comment = CarpdConfigurationParser.SplitComment(line).Comment;
            var suffix = comment.Length > 0 ? " " + comment : string.Empty;
            switch (statement)
            {
                case null:
                    output.Add(line);
                    break;

                case SysctlStatement sysctl:
                    var descriptor = sysctl.Descriptor;
                    if (descriptor.ReadOnly || !writtenSysctls.Add(descriptor.Name))
                    {
                        break;
                    }

                    var value = SysctlCatalog.Get(configuration.Sysctls, descriptor);
                    output.Add(value == sysctl.Value ? line : FormatSysctl(descriptor, value) + suffix);
                    lastSysctl = output.Count - 1;
                    break;

                case InterfaceStatement old:
                    var current = configuration.Find(old.Name);
                    if (current is null || !writtenInterfaces.Add(old.Name))
                    {
                        break;
                    }

                    var canonical = FormatInterface(current, configuration.PassFileOf(old.Name));
                    var oldConfig = old.ToConfig(old.InlineKey ?? Carp.Engine.Protocol.CarpKey.Empty);
                    var unchanged = oldConfig is not null && FormatInterface(oldConfig, old.PassFile) == canonical;
                    output.Add(unchanged ? line : canonical + suffix);
                    if (firstInterface < 0)
                    {
                        firstInterface = output.Count - 1;
                    }

                    break;
            }
        }

        var newSysctls = ChangedSysctls(configuration.Sysctls)
            .Where(s => !writtenSysctls.Contains(s.Descriptor.Name))
            .Select(s => FormatSysctl(s.Descriptor, s.Value))
            .ToList();
        if (newSysctls.Count > 0)
        {
            var at = lastSysctl >= 0 ? lastSysctl + 1 : firstInterface >= 0 ? firstInterface : output.Count;
            output.InsertRange(at, newSysctls);
        }

        output.AddRange(configuration.Interfaces
            .Where(c => !writtenInterfaces.Contains(c.Name))
            .Select(c => FormatInterface(c, configuration.PassFileOf(c.Name))));
        return string.Join('\n', output) + "\n";
    }

    /// <summary>One interface line: name, vhid, carpdev, the pass, non-default settings, then the addresses.</summary>
    public static string FormatInterface(VirtualHostConfig config, string? passFile)
    {
        var text = new StringBuilder();
        text.Append(config.Name).Append(" vhid ").Append(config.Vhid.ToString(CultureInfo.InvariantCulture))
            .Append(" carpdev ").Append(config.CarpDev);
        if (passFile is not null)
        {
            text.Append(" passfile ").Append(passFile);
        }
        else if (!config.Key.IsEmpty)
        {
            var bytes = config.Key.Bytes;
            if (TryGetWord(bytes, out var word))
            {
                text.Append(" pass ").Append(word);
            }
            else
            {
                text.Append(" passhex ").Append(Convert.ToHexStringLower(bytes));
            }
        }

        if (config.AdvBase != 1)
        {
            text.Append(" advbase ").Append(config.AdvBase.ToString(CultureInfo.InvariantCulture));
        }

        if (config.AdvSkew != 0)
        {
            text.Append(" advskew ").Append(config.AdvSkew.ToString(CultureInfo.InvariantCulture));
        }

        if (config.MacMode != MacMode.Virtual)
        {
            text.Append(" macmode real");
        }

        if (config.Profile.Name != CompatibilityProfile.FreeBsd.Name)
        {
            text.Append(" profile ").Append(ProfileKeyword(config.Profile));
        }

        foreach (var group in config.Groups)
        {
            text.Append(" group ").Append(group);
        }

        if (config.Peer is not null)
        {
            text.Append(" peer ").Append(config.Peer);
        }

        if (config.Peer6 is not null)
        {
            text.Append(" peer6 ").Append(config.Peer6);
        }

        foreach (var address in config.Addresses)
        {
            text.Append(' ').Append(address.ToString());
        }

        return text.ToString();
    }

    public static string FormatSysctl(SysctlDescriptor descriptor, long value) =>
        descriptor.FullName + "=" + value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The writable sysctls whose value differs from the default.</summary>
    public static IEnumerable<(SysctlDescriptor Descriptor, long Value)> ChangedSysctls(CarpSysctls sysctls) =>
        SysctlCatalog.All
            .Where(d => !d.ReadOnly)
            .Select(d => (Descriptor: d, Value: SysctlCatalog.Get(sysctls, d)))
            .Where(s => s.Value != SysctlCatalog.Get(CarpSysctls.Default, s.Descriptor));

    public static string ProfileKeyword(CompatibilityProfile profile) => profile.Name switch
    {
        "FreeBSD" => "freebsd",
        "OpenBSD" => "openbsd",
        "Classic" => "classic",
        "ucarp" => "ucarp",
        _ => profile.Name,
    };

    private static string FormatFresh(CarpdConfiguration configuration)
    {
        var text = new StringBuilder(Header);
        var sysctls = ChangedSysctls(configuration.Sysctls).ToList();
        if (sysctls.Count > 0)
        {
            text.Append('\n');
            foreach (var (descriptor, value) in sysctls)
            {
                text.Append(FormatSysctl(descriptor, value)).Append('\n');
            }
        }

        if (configuration.Interfaces.Count > 0)
        {
            text.Append('\n');
            foreach (var config in configuration.Interfaces)
            {
                text.Append(FormatInterface(config, configuration.PassFileOf(config.Name))).Append('\n');
            }
        }

        return text.ToString();
    }

    /// <summary>
    /// A key that reads back unchanged as <c>pass WORD</c>: UTF-8 text of at most 19 bytes without
    /// white space or control characters, not starting a comment. Anything else is written as passhex.
    /// </summary>
    private static bool TryGetWord(ReadOnlySpan<byte> key, out string word)
    {
        word = string.Empty;
        if (key.Length is 0 or > Carp.Engine.Protocol.CarpKey.MaxPassphraseBytes)
        {
            return false;
        }

        string text;
        try
        {
            text = StrictUtf8.GetString(key);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }

        if (text[0] == '#' || text.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            return false;
        }

        word = text;
        return true;
    }
}
