using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Carp.Engine.Protocol;

/// <summary>
/// The HMAC key of a virtual host: the passphrase as <c>ifconfig ... pass</c> stores it (at most
/// 19 bytes, docs/protocol.md#hmac-key). No public member returns the bytes: the HMAC reads them
/// (internal <see cref="Bytes"/>), and a front end that must hand the key on (carpd's socket, its
/// configuration file) lends them to a writer with <see cref="WithBytes{TState}"/>. Every buffer a
/// factory copies through is zeroed. <see cref="ToString"/> and every status object show only whether
/// a key is set.
/// </summary>
public sealed class CarpKey : IEquatable<CarpKey>
{
    /// <summary>Passphrase bytes kept by ifconfig's strlcpy into the 20-byte key buffer.</summary>
    public const int MaxPassphraseBytes = 19;

    /// <summary>Raw keys (FreeBSD netlink) may use the whole 20-byte buffer.</summary>
    public const int MaxRawKeyBytes = 20;

    private readonly byte[] _bytes;

    private CarpKey(ReadOnlySpan<byte> bytes)
    {
        // Pinned: the GC never leaves a moved copy of the key behind.
        _bytes = GC.AllocateUninitializedArray<byte>(bytes.Length, pinned: true);
        bytes.CopyTo(_bytes);
    }

    /// <summary>No pass: 20 zero bytes, i.e. HMAC with an empty key, as the kernels allow.</summary>
    public static CarpKey Empty { get; } = new([]);

    public bool IsEmpty => _bytes.Length == 0;

    /// <summary>How many bytes the key has (0 to <see cref="MaxRawKeyBytes"/>).</summary>
    public int Length => _bytes.Length;

    /// <summary>Kernel/ifconfig semantics: UTF-8 bytes of the passphrase, silently truncated to 19.</summary>
    public static CarpKey FromPassphrase(string? passphrase)
    {
        if (string.IsNullOrEmpty(passphrase))
        {
            return Empty;
        }

        return WithUtf8(passphrase, FromPassphraseUtf8);
    }

    /// <summary>Kernel/ifconfig semantics for a passphrase already in UTF-8 (e.g. read from a file): truncated to 19 bytes.</summary>
    public static CarpKey FromPassphraseUtf8(ReadOnlySpan<byte> utf8) =>
        utf8.IsEmpty ? Empty : new CarpKey(utf8[..Math.Min(utf8.Length, MaxPassphraseBytes)]);

    /// <summary>ucarp semantics: 1..19 characters, anything else is an error (docs/protocol.md#hmac-key, docs/protocol.md#parameter-ranges).</summary>
    public static CarpKey FromPassphraseStrict(string passphrase)
    {
        ArgumentNullException.ThrowIfNull(passphrase);
        return WithUtf8(passphrase, static utf8 => utf8.Length is 0 or > MaxPassphraseBytes
            ? throw new ArgumentException($"A CARP pass must be 1 to {MaxPassphraseBytes} bytes long.", nameof(passphrase))
            : new CarpKey(utf8));
    }

    /// <summary>A raw key of up to 20 bytes (FreeBSD's netlink path).</summary>
    public static CarpKey FromRawKey(ReadOnlySpan<byte> key)
    {
        if (key.Length > MaxRawKeyBytes)
        {
            throw new ArgumentException($"A raw CARP key has at most {MaxRawKeyBytes} bytes.", nameof(key));
        }

        // Trailing zeros do not change an HMAC key shorter than the block size (docs/protocol.md#hmac-key).
        var end = key.Length;
        while (end > 0 && key[end - 1] == 0)
        {
            end--;
        }

        return end == 0 ? Empty : new CarpKey(key[..end]);
    }

    /// <summary>
    /// Lends the key bytes to <paramref name="action"/> (e.g. to write them as base64 or into a private
    /// file's buffer). The span is valid only during the call: keep no copy that outlives it.
    /// </summary>
    public void WithBytes<TState>(TState state, ReadOnlySpanAction<byte, TState> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        action(_bytes, state);
    }

    /// <summary>The key bytes, for the HMAC.</summary>
    internal ReadOnlySpan<byte> Bytes => _bytes;

    public bool Equals(CarpKey? other) =>
        other is not null && CryptographicOperations.FixedTimeEquals(_bytes, other._bytes);

    public override bool Equals(object? obj) => Equals(obj as CarpKey);

    public override int GetHashCode() => _bytes.Length;

    public override string ToString() => IsEmpty ? "(no pass)" : "(pass set)";

    private delegate CarpKey Utf8KeyFactory(ReadOnlySpan<byte> utf8);

    /// <summary>Encodes <paramref name="text"/> into a stack buffer, builds the key from it and zeroes the buffer.</summary>
    private static CarpKey WithUtf8(string text, Utf8KeyFactory create)
    {
        var length = Encoding.UTF8.GetByteCount(text);
        var rented = length > 256 ? ArrayPool<byte>.Shared.Rent(length) : null;
        Span<byte> buffer = rented is null ? stackalloc byte[256] : rented;
        var utf8 = buffer[..Encoding.UTF8.GetBytes(text, buffer)];
        try
        {
            return create(utf8);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(utf8);
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
