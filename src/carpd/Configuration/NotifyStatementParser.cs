using System.Globalization;
using Carp.Engine.Core;
using Carpd.Notify;

namespace Carpd.Configuration;

/// <summary>
/// <c>notify STATE PATH [NAME ...] [group GROUP ...]</c>, <c>notify timeout SECONDS</c> or <c>notify_fifo PATH</c>
/// (docs/protocol.md#notify-hooks). Exactly one of <see cref="Hook"/>, <see cref="TimeoutSeconds"/> and
/// <see cref="Fifo"/> is set.
/// </summary>
internal sealed record NotifyStatement(int Line, NotifyHook? Hook, int? TimeoutSeconds, string? Fifo) : ConfigurationStatement(Line)
{
    /// <summary>The statement as the formatter writes it; a line whose statement is unchanged is kept as written.</summary>
    public string Text => Hook?.Statement() ?? (TimeoutSeconds is { } seconds ? NotifySettings.TimeoutStatement(seconds) : NotifySettings.FifoStatement(Fifo!));
}

/// <summary>
/// Parses the notify statements of one line, without touching the files they name (the configuration parser checks
/// those: <see cref="NotifyFiles"/>). An interface cannot be named <c>notify</c> or <c>notify_fifo</c>: such a line
/// is a notify statement.
/// </summary>
internal static class NotifyStatementParser
{
    private const string Grammar = "Write notify master|backup|init|fault|any /absolute/path [carpN ...] [group NAME ...], notify timeout SECONDS or notify_fifo /absolute/path.";

    public static bool IsNotify(ConfigurationLine line) => line.Count > 0 && (line.Is(0, "notify"u8) || line.Is(0, "notify_fifo"u8));

    public static NotifyStatement Parse(ConfigurationLine line, int lineNumber, string fileName)
    {
        if (line.Is(0, "notify_fifo"u8))
        {
            if (line.Count != 2)
            {
                throw Error("notify_fifo takes one path.", "Write e.g. notify_fifo /run/carpd/events.fifo.");
            }

            return new NotifyStatement(lineNumber, null, null, AbsolutePath(line.Word(1), "notify_fifo"));
        }

        if (line.Count < 2)
        {
            throw Error("notify needs a state and a path.", Grammar);
        }

        var first = line.Word(1);
        if (first == "timeout")
        {
            if (line.Count != 3 || !int.TryParse(line.Word(2), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) ||
                seconds < NotifySettings.MinTimeoutSeconds || seconds > NotifySettings.MaxTimeoutSeconds)
            {
                throw Error($"notify timeout must be a number of seconds from {NotifySettings.MinTimeoutSeconds} to {NotifySettings.MaxTimeoutSeconds}.",
                    "Write e.g. notify timeout 10.");
            }

            return new NotifyStatement(lineNumber, null, seconds, null);
        }

        var state = NotifyStates.Parse(first)
            ?? throw Error($"'{Shown(first)}' is not a notify state.", Grammar);
        if (line.Count < 3)
        {
            throw Error($"notify {first} needs the path of the program to run.", Grammar);
        }

        var path = AbsolutePath(line.Word(2), "notify " + first);
        var names = new List<string>();
        var groups = new List<string>();
        for (var i = 3; i < line.Count; i++)
        {
            var word = line.Word(i);
            var isGroup = word == "group";
            if (isGroup)
            {
                if (++i >= line.Count)
                {
                    throw Error("'group' needs a group name.", "Write e.g. group wan.");
                }

                word = line.Word(i);
            }

            if (!VirtualHostConfig.IsValidInterfaceName(word))
            {
                throw Error($"word {i + 1} of the line is not a usable {(isGroup ? "group" : "interface")} name.",
                    $"Name interfaces and groups with {CarpLimits.InterfaceNameRule}.");
            }

            var list = isGroup ? groups : names;
            if (list.Contains(word, StringComparer.Ordinal))
            {
                throw Error($"{(isGroup ? "group" : "interface")} {word} is listed twice.", "List each once.");
            }

            list.Add(word);
        }

        return new NotifyStatement(lineNumber, new NotifyHook(state, path, names, groups), null, null);

        string AbsolutePath(string word, string keyword) =>
            word.StartsWith('/') && !word.Contains('\0', StringComparison.Ordinal)
                ? word
                : throw Error($"{keyword} needs an absolute path; '{Shown(word)}' is not one.", "Write the full path, e.g. /usr/local/sbin/carp-notify.");

        CarpdConfigurationException Error(string problem, string action) =>
            new(fileName, lineNumber, CarpErrorCode.InvalidArgument, problem, action);
    }

    /// <summary>Words of a notify line never hold a pass, but an echo is kept short.</summary>
    private static string Shown(string word) => word.Length <= 64 ? word : word[..64] + "…";
}
