using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Unicode;
using Carp.Control;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;

namespace Carpd.Configuration;

/// <summary>
/// Writes a configuration in the language <see cref="CarpdConfigurationParser"/> reads, as UTF-8 into a
/// <see cref="SecretBufferWriter"/>: a pass goes from its key's bytes into the output, never through a
/// string. Given the previous bytes of the file it keeps comments, blank lines, order and every line
/// whose meaning did not change, rewrites changed lines, drops removed interfaces and appends new statements.
/// </summary>
internal static class CarpdConfigurationFormatter
{
    private const string Header =
        "# carpd configuration: sysctl lines (net.inet.carp.NAME=VALUE) and carp interface lines\n" +
        "# (carpN vhid N carpdev IF [pass WORD|passhex HEX|passfile PATH] [advbase N] [advskew N] ... ADDRESS/PREFIX ...).\n" +
        "# carpd rewrites this file when interfaces or sysctls are changed at run time; comments are kept.\n";

    private static ReadOnlySpan<byte> ByteOrderMark => [0xEF, 0xBB, 0xBF];

    /// <summary>One output line: a line kept from the previous file, or one written into the scratch buffer.</summary>
    private readonly record struct Piece(bool Kept, int Start, int Length);

    /// <summary>The configuration as file text; <paramref name="previousText"/> as in <see cref="Format(CarpdConfiguration, ReadOnlySpan{byte}, SecretBufferWriter)"/>.</summary>
    public static string Format(CarpdConfiguration configuration, string? previousText)
    {
        using var previous = new SecretBufferWriter(Encoding.UTF8.GetMaxByteCount(previousText?.Length ?? 0));
        previous.WriteUtf8(previousText);
        using var output = new SecretBufferWriter(4096);
        Format(configuration, previous.WrittenSpan, output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    /// <summary>Writes the configuration; <paramref name="previous"/> is the file as it is now (empty: a fresh file with a header).</summary>
    public static void Format(CarpdConfiguration configuration, ReadOnlySpan<byte> previous, SecretBufferWriter output)
    {
        if (previous.StartsWith(ByteOrderMark))
        {
            previous = previous[ByteOrderMark.Length..];
        }

        if (IsBlank(previous))
        {
            FormatFresh(configuration, output);
            return;
        }

        using var written = new SecretBufferWriter(previous.Length + 1024);
        using var canonical = new SecretBufferWriter();
        using var before = new SecretBufferWriter();
        var pieces = new List<Piece>();
        var writtenSysctls = new HashSet<string>(StringComparer.Ordinal);
        var writtenInterfaces = new HashSet<string>(StringComparer.Ordinal);
        var wantedNotify = configuration.Notify.Statements().ToHashSet(StringComparer.Ordinal);
        var writtenNotify = new HashSet<string>(StringComparer.Ordinal);
        var writtenTrackers = new HashSet<string>(StringComparer.Ordinal);
        var lastSysctl = -1;
        var firstInterface = -1;
        var writtenMetrics = 0;
        var ranges = new List<Range>();
        foreach (var range in previous.Split((byte)'\n'))
        {
            ranges.Add(range);
        }

        var count = previous[ranges[^1]].IsEmpty ? ranges.Count - 1 : ranges.Count;
        for (var i = 0; i < count; i++)
        {
            var (start, length) = ranges[i].GetOffsetAndLength(previous.Length);
            var line = previous.Slice(start, length).TrimEnd((byte)'\r');
            var kept = new Piece(true, start, line.Length);
            ConfigurationStatement? statement;
            try
            {
                statement = ConfigurationStatementParser.Parse(line, i + 1, string.Empty);
            }
            catch (CarpdConfigurationException)
            {
                // Not ours to repair: keep what the administrator wrote.
                pieces.Add(kept);
                continue;
            }

            var comment = new ConfigurationLine(line).Comment;
            switch (statement)
            {
                case null:
                    pieces.Add(kept);
                    break;

                case SysctlStatement sysctl:
                    var descriptor = sysctl.Descriptor;
                    if (descriptor.ReadOnly || !writtenSysctls.Add(descriptor.Name))
                    {
                        break;
                    }

                    var value = SysctlCatalog.Get(configuration.Sysctls, descriptor);
                    pieces.Add(value == sysctl.Value ? kept : Rewrite(written, w => w.WriteUtf8(FormatSysctl(descriptor, value)), comment));
                    lastSysctl = pieces.Count - 1;
                    break;

                case TrackStatement track:
                    var tracker = configuration.Trackers.FirstOrDefault(t => t.Name == track.Config.Name);
                    if (tracker is null || !writtenTrackers.Add(tracker.Name))
                    {
                        break;
                    }

                    pieces.Add(tracker == track.Config ? kept
                        : Rewrite(written, w => w.WriteUtf8(TrackStatementParser.Format(tracker)), Encoding.UTF8.GetBytes(track.Comment)));
                    break;

                case InterfaceStatement old:
                    var current = configuration.Find(old.Name);
                    if (current is null || !writtenInterfaces.Add(old.Name))
                    {
                        break;
                    }

                    canonical.Clear();
                    before.Clear();
                    FormatInterface(current, configuration.PassFileOf(old.Name), canonical);
                    var oldConfig = old.ToConfig(old.InlineKey ?? CarpKey.Empty);
                    if (oldConfig is not null)
                    {
                        FormatInterface(oldConfig, old.PassFile, before);
                    }

                    var unchanged = oldConfig is not null && before.WrittenSpan.SequenceEqual(canonical.WrittenSpan);
                    pieces.Add(unchanged ? kept : Rewrite(written, w => w.Write(canonical.WrittenSpan), comment));
                    if (firstInterface < 0)
                    {
                        firstInterface = pieces.Count - 1;
                    }

                    break;

                case MetricsStatement metrics:
                    if (configuration.Metrics is { } wanted && writtenMetrics++ == 0)
                    {
                        pieces.Add(wanted == metrics.Settings ? kept : Rewrite(written, w => w.WriteUtf8(wanted.Format()), comment));
                    }

                    break;

                case NotifyStatement notify:
                    // Kept as written while the configuration still has it; dropped otherwise (docs/protocol.md#notify-hooks).
                    if (wantedNotify.Contains(notify.Text) && writtenNotify.Add(notify.Text))
                    {
                        pieces.Add(kept);
                    }

                    break;

                default:
                    // A statement this formatter does not write (another feature's): keep it as written.
                    pieces.Add(kept);
                    break;
            }
        }

        var newSysctls = ChangedSysctls(configuration.Sysctls)
            .Where(s => !writtenSysctls.Contains(s.Descriptor.Name))
            .Select(s => Rewrite(written, w => w.WriteUtf8(FormatSysctl(s.Descriptor, s.Value)), default))
            .ToList();
        if (newSysctls.Count > 0)
        {
            var at = lastSysctl >= 0 ? lastSysctl + 1 : firstInterface >= 0 ? firstInterface : pieces.Count;
            pieces.InsertRange(at, newSysctls);
        }

        foreach (var config in configuration.Interfaces.Where(c => !writtenInterfaces.Contains(c.Name)))
        {
            pieces.Add(Rewrite(written, w => FormatInterface(config, configuration.PassFileOf(config.Name), w), default));
        }

        if (configuration.Metrics is { } metricsSettings && writtenMetrics == 0)
        {
            pieces.Add(Rewrite(written, w => w.WriteUtf8(metricsSettings.Format()), default));
        }

        foreach (var statement in configuration.Notify.Statements().Where(t => !writtenNotify.Contains(t)))
        {
            pieces.Add(Rewrite(written, w => w.WriteUtf8(statement), default));
        }

        foreach (var tracker in configuration.Trackers.Where(t => !writtenTrackers.Contains(t.Name)))
        {
            pieces.Add(Rewrite(written, w => w.WriteUtf8(TrackStatementParser.Format(tracker)), default));
        }

        for (var i = 0; i < pieces.Count; i++)
        {
            var piece = pieces[i];
            output.Write((piece.Kept ? previous : written.WrittenSpan).Slice(piece.Start, piece.Length));
            if (i < pieces.Count - 1)
            {
                output.Write((byte)'\n');
            }
        }

        output.Write((byte)'\n');
    }

    /// <summary>One interface line: name, vhid, carpdev, the pass, non-default settings, then the addresses.</summary>
    public static void FormatInterface(VirtualHostConfig config, string? passFile, SecretBufferWriter output)
    {
        var text = new StringBuilder();
        text.Append(config.Name).Append(" vhid ").Append(config.Vhid.ToString(CultureInfo.InvariantCulture))
            .Append(" carpdev ").Append(config.CarpDev);
        if (passFile is not null)
        {
            text.Append(" passfile ").Append(passFile);
        }

        output.WriteUtf8(text.ToString());
        text.Clear();
        if (passFile is null && !config.Key.IsEmpty)
        {
            config.Key.WithBytes(output, WritePass);
        }

        if (config.IsVrrp)
        {
            // FreeBSD's words (docs/protocol.md#vrrp); CARP's advbase and advskew mean nothing here.
            text.Append(" carpver 3 vrrpprio ").Append(config.Priority.ToString(CultureInfo.InvariantCulture))
                .Append(" vrrpinterval ").Append(config.Interval.ToString(CultureInfo.InvariantCulture));
            if (!config.Preempt)
            {
                text.Append(' ').Append(InterfaceKeywords.NoPreempt);
            }

            if (!config.Accept)
            {
                text.Append(' ').Append(InterfaceKeywords.NoAccept);
            }

            if (config.VrrpChecksum == VrrpChecksumMode.MessageOnly)
            {
                text.Append(" vrrpchecksum v2");
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

        if (config.AnnounceCount != 1)
        {
            text.Append(" announcecount ").Append(config.AnnounceCount.ToString(CultureInfo.InvariantCulture));
        }

        if (config.AnnounceSpacingMs != 0)
        {
            text.Append(" announcespacing ").Append(config.AnnounceSpacingMs.ToString(CultureInfo.InvariantCulture));
        }

        if (config.AnnounceRefreshSeconds != 0)
        {
            text.Append(" announcerefresh ").Append(config.AnnounceRefreshSeconds.ToString(CultureInfo.InvariantCulture));
        }

        if (config.Maintenance)
        {
            text.Append(' ').Append(InterfaceKeywords.Maintenance);
        }

        foreach (var address in config.Addresses)
        {
            text.Append(' ').Append(address.ToString());
        }

        output.WriteUtf8(text.ToString());
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

    private static void FormatFresh(CarpdConfiguration configuration, SecretBufferWriter output)
    {
        output.WriteUtf8(Header);
        var sysctls = ChangedSysctls(configuration.Sysctls).ToList();
        if (sysctls.Count > 0)
        {
            output.Write((byte)'\n');
            foreach (var (descriptor, value) in sysctls)
            {
                output.WriteUtf8(FormatSysctl(descriptor, value));
                output.Write((byte)'\n');
            }
        }

        if (configuration.Interfaces.Count > 0)
        {
            output.Write((byte)'\n');
            foreach (var config in configuration.Interfaces)
            {
                FormatInterface(config, configuration.PassFileOf(config.Name), output);
                output.Write((byte)'\n');
            }
        }

        if (configuration.Metrics is { } metrics)
        {
            output.Write((byte)'\n');
            output.WriteUtf8(metrics.Format());
            output.Write((byte)'\n');
        }

        if (!configuration.Notify.IsEmpty)
        {
            output.Write((byte)'\n');
            foreach (var statement in configuration.Notify.Statements())
            {
                output.WriteUtf8(statement);
                output.Write((byte)'\n');
            }
        }

        if (configuration.Trackers.Count > 0)
        {
            output.Write((byte)'\n');
            foreach (var tracker in configuration.Trackers)
            {
                output.WriteUtf8(TrackStatementParser.Format(tracker));
                output.Write((byte)'\n');
            }
        }
    }

    /// <summary>Writes a line (and the kept comment, after a space) into <paramref name="written"/>; returns where it is.</summary>
    private static Piece Rewrite(SecretBufferWriter written, Action<SecretBufferWriter> write, ReadOnlySpan<byte> comment)
    {
        var start = written.WrittenCount;
        write(written);
        if (!comment.IsEmpty)
        {
            written.Write((byte)' ');
            written.Write(comment);
        }

        return new Piece(false, start, written.WrittenCount - start);
    }

    /// <summary>
    /// <c>pass WORD</c> for a key that reads back unchanged as one: UTF-8 text of at most 19 bytes without
    /// white space or control characters, not starting a comment. Anything else is written as passhex.
    /// </summary>
    private static void WritePass(ReadOnlySpan<byte> key, SecretBufferWriter output)
    {
        if (IsWord(key))
        {
            output.Write(" pass "u8);
            output.Write(key);
            return;
        }

        output.Write(" passhex "u8);
        var hex = output.GetSpan(key.Length * 2);
        for (var i = 0; i < key.Length; i++)
        {
            hex[2 * i] = (byte)"0123456789abcdef"[key[i] >> 4];
            hex[(2 * i) + 1] = (byte)"0123456789abcdef"[key[i] & 0xF];
        }

        output.Advance(key.Length * 2);
    }

    private static bool IsWord(ReadOnlySpan<byte> key)
    {
        if (key.Length is 0 or > CarpKey.MaxPassphraseBytes || key[0] == '#' || !Utf8.IsValid(key))
        {
            return false;
        }

        while (!key.IsEmpty)
        {
            Rune.DecodeFromUtf8(key, out var rune, out var length);
            if (Rune.IsWhiteSpace(rune) || Rune.IsControl(rune))
            {
                return false;
            }

            key = key[length..];
        }

        return true;
    }

    private static bool IsBlank(ReadOnlySpan<byte> text)
    {
        while (!text.IsEmpty)
        {
            if (Rune.DecodeFromUtf8(text, out var rune, out var length) != OperationStatus.Done || !Rune.IsWhiteSpace(rune))
            {
                return false;
            }

            text = text[length..];
        }

        return true;
    }
}
