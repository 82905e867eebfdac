using System.Buffers;
using System.Text;

namespace Carpd.Configuration;

/// <summary>
/// One line of a carpd configuration file, as the UTF-8 bytes of the file: its statement split into
/// words at ASCII white space, and its comment, which starts at a <c>#</c> at the start of the line
/// or after white space. A word becomes a string only when <see cref="Word"/> is asked for it, so the
/// value of <c>pass</c> or <c>passhex</c> goes from the file's bytes to the key without one.
/// </summary>
internal readonly ref struct ConfigurationLine
{
    private static readonly SearchValues<byte> Blanks = SearchValues.Create(" \t\r\v\f"u8);

    private readonly ReadOnlySpan<byte> _text;
    private readonly List<Range> _words;

    /// <param name="text">The line without its '\n'.</param>
    public ConfigurationLine(ReadOnlySpan<byte> text)
    {
        _text = text;
        CommentStart = FindComment(text);
        _words = Split(text[..CommentStart]);
    }

    /// <summary>Where the comment starts (the length of the line when there is none).</summary>
    public int CommentStart { get; }

    /// <summary>The comment with its '#', without a trailing '\r'; empty when there is none.</summary>
    public ReadOnlySpan<byte> Comment => _text[CommentStart..].TrimEnd((byte)'\r');

    public int Count => _words.Count;

    /// <summary>Word <paramref name="index"/> as bytes: the only way to read one that may be a pass.</summary>
    public ReadOnlySpan<byte> this[int index] => _text[_words[index]];

    /// <summary>Word <paramref name="index"/> as text, for words that are never a pass.</summary>
    public string Word(int index) => Encoding.UTF8.GetString(this[index]);

    public bool Is(int index, ReadOnlySpan<byte> word) => this[index].SequenceEqual(word);

    private static int FindComment(ReadOnlySpan<byte> text)
    {
        for (var i = text.IndexOf((byte)'#'); i >= 0; i = NextHash(text, i))
        {
            if (i == 0 || (Rune.DecodeLastFromUtf8(text[..i], out var before, out _) == OperationStatus.Done && Rune.IsWhiteSpace(before)))
            {
                return i;
            }
        }

        return text.Length;
    }

    private static int NextHash(ReadOnlySpan<byte> text, int after)
    {
        var next = text[(after + 1)..].IndexOf((byte)'#');
        return next < 0 ? -1 : after + 1 + next;
    }

    private static List<Range> Split(ReadOnlySpan<byte> statement)
    {
        var words = new List<Range>();
        var start = 0;
        while (start < statement.Length)
        {
            var blank = statement[start..].IndexOfAny(Blanks);
            var end = blank < 0 ? statement.Length : start + blank;
            if (end > start)
            {
                words.Add(start..end);
            }

            start = end + 1;
        }

        return words;
    }
}
