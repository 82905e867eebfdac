using System.Text;
using Carp.Engine.Core;

namespace Carp.Engine.Hosting;

/// <summary>
/// A tracker's command line as an argument vector (docs/protocol.md#trackers): words split on white space, a word may be
/// quoted with '…' (taken literally) or "…" (where \" and \\ stand for themselves). No shell: no variables, globs or
/// pipes unless the command is a shell (<c>/bin/sh -c '…'</c>).
/// </summary>
public static class TrackerCommandLine
{
    /// <exception cref="CarpException">An unclosed quote, or no word at all (<see cref="CarpErrorCode.InvalidArgument"/>).</exception>
    public static IReadOnlyList<string> Split(string commandLine)
    {
        ArgumentNullException.ThrowIfNull(commandLine);
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < commandLine.Length; i++)
        {
            var c = commandLine[i];
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
            if (c is '\'' or '"')
            {
                var close = c;
                i++;
                while (i < commandLine.Length && commandLine[i] != close)
                {
                    if (close == '"' && commandLine[i] == '\\' && i + 1 < commandLine.Length && commandLine[i + 1] is '"' or '\\')
                    {
                        i++;
                    }

                    word.Append(commandLine[i]);
                    i++;
                }

                if (i >= commandLine.Length)
                {
                    throw new CarpException(CarpErrorCode.InvalidArgument, $"the command {commandLine} has an unclosed {close} quote.");
                }

                continue;
            }

            word.Append(c);
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words.Count > 0 ? words : throw new CarpException(CarpErrorCode.InvalidArgument, "a tracker's command line is empty.");
    }
}
