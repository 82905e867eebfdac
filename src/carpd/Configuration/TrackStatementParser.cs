using System.Globalization;
using System.Text;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace Carpd.Configuration;

/// <summary>
/// <c>track NAME script "COMMAND" [interval S] [timeout S] [rise N] [fall N] (weight N | fault) (CARPIF | group GROUP)</c>,
/// and the same with <c>link IFNAME</c> or <c>file PATH</c> instead of <c>script "COMMAND"</c> (docs/protocol.md#trackers).
/// The command is written in double quotes (\" and \\ inside); a <c>#</c> outside quotes after white space starts a comment.
/// </summary>
internal sealed record TrackStatement(int Line, TrackerConfig Config, string Comment) : ConfigurationStatement(Line);

internal static class TrackStatementParser
{
    public const string Keyword = "track";

    /// <summary>True when <paramref name="line"/> starts with the word <c>track</c>.</summary>
    public static bool IsTrack(ConfigurationLine line) => line.Count > 0 && line.Is(0, "track"u8);

    public static TrackStatement Parse(ReadOnlySpan<byte> utf8, int lineNumber, string fileName)
    {
        var (words, comment) = Split(Encoding.UTF8.GetString(utf8).TrimEnd('\r'), lineNumber, fileName);
        CarpdConfigurationException Error(string message, string advice) =>
            new(fileName, lineNumber, CarpErrorCode.InvalidArgument, message, advice);
        const string Usage = "Write track NAME script \"COMMAND\"|link IFNAME|file PATH [interval S] [timeout S] [rise N] [fall N] weight N|fault CARPIF|group GROUP.";
        if (words.Count < 4)
        {
            throw Error("a track line needs a name, a kind and its target.", Usage);
        }

        var kind = words[2] switch
        {
            "script" => TrackerKind.Script,
            "link" => TrackerKind.Link,
            "file" => TrackerKind.File,
            _ => throw Error($"'{words[2]}' is not a tracker kind.", "The kinds are script \"COMMAND\", link IFNAME and file PATH."),
        };
        var defaults = new TrackerConfig { Name = "x", Kind = kind, Target = "x", Scope = TrackerScope.Interface("x") };
        var (interval, timeout, rise, fall) = (defaults.Interval, defaults.Timeout, defaults.Rise, defaults.Fall);
        int? weight = null;
        var fault = false;
        TrackerScope? scope = null;
        for (var i = 4; i < words.Count; i++)
        {
            var word = words[i];
            string Value() => i + 1 < words.Count ? words[++i] : throw Error($"'{word}' needs a value.", Usage);
            switch (word)
            {
                case "interval":
                    interval = Seconds(word, Value());
                    break;
                case "timeout":
                    timeout = Seconds(word, Value());
                    break;
                case "rise":
                    rise = Count(word, Value());
                    break;
                case "fall":
                    fall = Count(word, Value());
                    break;
                case "weight":
                    weight = Count(word, Value());
                    break;
                case "fault":
                    fault = true;
                    break;
                case "group":
                    scope = scope is null ? TrackerScope.Group(Value()) : throw Error("a tracker acts on one interface or one group.", Usage);
                    break;
                default:
                    scope = scope is null ? TrackerScope.Interface(word) : throw Error($"'{word}' is unexpected: a tracker acts on one interface or one group.", Usage);
                    break;
            }
        }

        if (scope is null)
        {
            throw Error($"tracker {words[1]} names no carp interface or group.", "End the line with the carp interface (e.g. carp1) or group NAME.");
        }

        if (fault == (weight is not null))
        {
            throw Error($"tracker {words[1]} needs either weight N or fault.", "weight N demotes while it fails; fault holds the interfaces in INIT.");
        }

        var config = new TrackerConfig
        {
            Name = words[1], Kind = kind, Target = words[3], Scope = scope,
            Interval = interval, Timeout = timeout, Rise = rise, Fall = fall, Weight = weight ?? 0, Fault = fault,
        };
        try
        {
            config.Validate();
        }
        catch (CarpException ex)
        {
            throw new CarpdConfigurationException(fileName, lineNumber, ex.Code, ex.Message, Usage, ex);
        }

        return new TrackStatement(lineNumber, config, comment);

        TimeSpan Seconds(string what, string value) =>
            double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var s) && s <= 86400
                ? TimeSpan.FromSeconds(s) : throw Error($"{what} '{value}' is not a number of seconds.", "Write seconds, e.g. interval 2 or timeout 0.5.");

        int Count(string what, string value) =>
            int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw Error($"{what} '{value}' is not a whole number.", Usage);
    }

    /// <summary>The line's words (a double-quoted word without its quotes) and its comment (with its '#', or empty).</summary>
    private static (List<string> Words, string Comment) Split(string text, int lineNumber, string fileName)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '#' && !inWord)
            {
                return (words, text[i..].TrimEnd());
            }

            if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }

                continue;
            }

            inWord = true;
            if (c != '"')
            {
                word.Append(c);
                continue;
            }

            for (i++; i < text.Length && text[i] != '"'; i++)
            {
                if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\')
                {
                    i++;
                }

                word.Append(text[i]);
            }

            if (i >= text.Length)
            {
                throw new CarpdConfigurationException(fileName, lineNumber, CarpErrorCode.InvalidArgument, "a quoted command is not closed.",
                    "Close the command's double quote; write \\\" for a quote inside it.");
            }
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return (words, string.Empty);
    }

    /// <summary>The canonical line of a tracker (what the formatter writes).</summary>
    public static string Format(TrackerConfig config)
    {
        var text = new StringBuilder(Keyword).Append(' ').Append(config.Name).Append(' ').Append(TrackerKindWord(config.Kind)).Append(' ');
        text.Append(config.Kind == TrackerKind.Script || config.Target.Any(c => char.IsWhiteSpace(c) || c is '"' or '#')
            ? '"' + config.Target.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + '"'
            : config.Target);
        var defaults = new TrackerConfig { Name = "x", Kind = config.Kind, Target = "x", Scope = config.Scope };
        if (config.Interval != defaults.Interval)
        {
            text.Append(CultureInfo.InvariantCulture, $" interval {config.Interval.TotalSeconds:0.###}");
        }

        if (config.Timeout != defaults.Timeout)
        {
            text.Append(CultureInfo.InvariantCulture, $" timeout {config.Timeout.TotalSeconds:0.###}");
        }

        if (config.Rise != defaults.Rise)
        {
            text.Append(CultureInfo.InvariantCulture, $" rise {config.Rise}");
        }

        if (config.Fall != defaults.Fall)
        {
            text.Append(CultureInfo.InvariantCulture, $" fall {config.Fall}");
        }

        text.Append(config.Fault ? " fault" : string.Create(CultureInfo.InvariantCulture, $" weight {config.Weight}"));
        text.Append(config.Scope.Kind == TrackerScopeKind.Group ? " group " : " ").Append(config.Scope.Name);
        return text.ToString();
    }

    private static string TrackerKindWord(TrackerKind kind) => kind.ToString().ToLowerInvariant();
}
