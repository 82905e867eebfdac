using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Carp.Control;

/// <summary>What <see cref="LineReader"/> found.</summary>
internal enum LineKind
{
    /// <summary>A complete line (without its '\n'), valid until the next read.</summary>
    Line,
    /// <summary>A line longer than the limit, reported as soon as it is; reading on skips the rest of it.</summary>
    Oversized,
    /// <summary>The peer closed the stream.</summary>
    End,
}

internal readonly record struct LineResult(LineKind Kind, ReadOnlyMemory<byte> Line);

/// <summary>
/// Splits a byte stream into '\n'-terminated lines with a hard size limit: an oversized line is
/// reported once as soon as the limit is passed (so the caller may hang up before the rest arrives)
/// and never held in memory; reading on skips to the next line.
/// Bytes it moves or lets go of are zeroed. Not thread-safe: one reader per stream.
/// </summary>
internal sealed class LineReader
{
    private readonly Stream _stream;
    private readonly int _maxLineBytes;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private bool _discarding;
    private bool _eof;

    public LineReader(Stream stream, int maxLineBytes)
    {
        _stream = stream;
        _maxLineBytes = maxLineBytes;
        _buffer = new byte[Math.Min(maxLineBytes + 1, 8192)];
    }

    public LineResult ReadLine()
    {
        while (true)
        {
            if (TryTake(out var result))
            {
                return result;
            }

            Prepare();
            var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
            Received(read);
        }
    }

    public async ValueTask<LineResult> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (TryTake(out var result))
            {
                return result;
            }

            Prepare();
            var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
            Received(read);
        }
    }

    private bool TryTake(out LineResult result)
    {
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline >= 0)
            {
                var line = _buffer.AsMemory(_start, newline - _start);
                _start = newline + 1;
                if (_discarding)
                {
                    // The end of a line already reported as oversized.
                    _discarding = false;
                    continue;
                }

                result = line.Length > _maxLineBytes ? new LineResult(LineKind.Oversized, default) : new LineResult(LineKind.Line, line);
                return true;
            }

            break;
        }

        if (_end - _start > _maxLineBytes || (_discarding && _end > _start))
        {
            // No newline within the limit: forget what we have, report it once, and skip to the next newline.
            var report = !_discarding;
            _discarding = true;
            Array.Clear(_buffer, 0, _end);
            _start = _end = 0;
            if (report)
            {
                result = new LineResult(LineKind.Oversized, default);
                return true;
            }
        }

        if (_eof)
        {
            _discarding = false;
            if (_end > _start)
            {
                // A last request without its newline still counts.
                var line = _buffer.AsMemory(_start, _end - _start);
                _start = _end;
                result = new LineResult(LineKind.Line, line);
                return true;
            }

            result = new LineResult(LineKind.End, default);
            return true;
        }

        result = default;
        return false;
    }

    /// <summary>Zeroes a line once it is handled: a request may carry a pass.</summary>
    public static void Wipe(ReadOnlyMemory<byte> line) => CryptographicOperations.ZeroMemory(MemoryMarshal.AsMemory(line).Span);

    private void Prepare()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            Array.Clear(_buffer, _end - _start, _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            var grown = new byte[Math.Min(_buffer.Length * 2, _maxLineBytes + 1)];
            _buffer.CopyTo(grown, 0);
            Array.Clear(_buffer);
            _buffer = grown;
        }
    }

    private void Received(int read)
    {
        if (read == 0)
        {
            _eof = true;
        }
        else
        {
            _end += read;
        }
    }
}
