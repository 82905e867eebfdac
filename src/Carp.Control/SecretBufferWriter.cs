using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Carp.Control;

/// <summary>
/// A growable byte buffer for text that may hold a key (a request with a <c>pass</c>, carpd's
/// configuration file): unlike <see cref="ArrayBufferWriter{T}"/> it zeroes every array it lets go
/// of, when it grows and when it is disposed, so no copy of the key is left to the garbage collector.
/// </summary>
internal sealed class SecretBufferWriter : IBufferWriter<byte>, IDisposable
{
    private byte[] _buffer;
    private int _written;

    public SecretBufferWriter(int initialCapacity = 256) =>
        _buffer = GC.AllocateArray<byte>(Math.Max(initialCapacity, 16), pinned: true);

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    public int WrittenCount => _written;

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _buffer.Length - _written);
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsSpan(_written);
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        _written += bytes.Length;
    }

    /// <summary>Appends <paramref name="text"/> as UTF-8.</summary>
    public void WriteUtf8(ReadOnlySpan<char> text) =>
        Advance(Encoding.UTF8.GetBytes(text, GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length))));

    public void Write(byte value)
    {
        GetSpan(1)[0] = value;
        _written++;
    }

    /// <summary>Forgets what was written (zeroing it); the buffer is reused.</summary>
    public void Clear()
    {
        CryptographicOperations.ZeroMemory(_buffer.AsSpan(0, _written));
        _written = 0;
    }

    public void Dispose() => Clear();

    private void Reserve(int sizeHint)
    {
        var needed = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= needed)
        {
            return;
        }

        var grown = GC.AllocateArray<byte>(Math.Max(_buffer.Length * 2, _written + needed), pinned: true);
        _buffer.AsSpan(0, _written).CopyTo(grown);
        CryptographicOperations.ZeroMemory(_buffer);
        _buffer = grown;
    }
}
