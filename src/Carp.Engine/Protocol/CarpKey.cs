using System.Security.Cryptography;
using System.Text;

namespace Carp.Engine.Protocol;

/// <summary>
/// The HMAC key of a virtual host: the passphrase as <c>ifconfig ... pass</c> stores it (at most
/// 19 bytes, docs/protocol.md#hmac-key). The bytes never leave this class except to the HMAC, and it never
/// renders them: <see cref="ToString"/> and every status object show only whether a key is set.
/// </summary>
public sealed class CarpKey : IEquatable<CarpKey>
{
    /// <summary>Passphrase bytes kept by ifconfig's strlcpy into the 20-byte key buffer.</summary>
    public const int MaxPassphraseBytes = 19;

    /// <summary>Raw keys (FreeBSD netlink) may use the whole 20-byte buffer.</summary>
    public const int MaxRawKeyBytes = 20;

    private readonly byte[] _bytes;

    private CarpKey(byte[] bytes) => _bytes = bytes;

    /// <summary>No pass: 20 zero bytes, i.e. HMAC with an empty key, as the kernels allow.</summary>
    public static CarpKey Empty { get; } = new([]);

    public bool IsEmpty => _bytes.Length == 0;

    /// <summary>Kernel/ifconfig semantics: UTF-8 bytes of the passphrase, silently truncated to 19.</summary>
    public static CarpKey FromPassphrase(string? passphrase)
    {
        if (string.IsNullOrEmpty(passphrase))
        {
            return Empty;
        }

        var bytes = Encoding.UTF8.GetBytes(passphrase);
        return new CarpKey(bytes.Length > MaxPassphraseBytes ? bytes[..MaxPassphraseBytes] : bytes);
    }

    /// <summary>ucarp semantics: 1..19 characters, anything else is an error (docs/protocol.md#hmac-key, docs/protocol.md#parameter-ranges).</summary>
    public static CarpKey FromPassphraseStrict(string passphrase)
    {
        ArgumentNullException.ThrowIfNull(passphrase);
        var bytes = Encoding.UTF8.GetBytes(passphrase);
        if (bytes.Length is 0 or > MaxPassphraseBytes)
        {
            throw new ArgumentException($"A CARP pass must be 1 to {MaxPassphraseBytes} bytes long.", nameof(passphrase));
        }

        return new CarpKey(bytes);
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

        return end == 0 ? Empty : new CarpKey(key[..end].ToArray());
    }

    /// <summary>The key bytes, for the HMAC and for handing the key to carpd over its root-only socket.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    public bool Equals(CarpKey? other) =>
        other is not null && CryptographicOperations.FixedTimeEquals(_bytes, other._bytes);

    public override bool Equals(object? obj) => Equals(obj as CarpKey);

    public override int GetHashCode() => _bytes.Length;

    public override string ToString() => IsEmpty ? "(no pass)" : "(pass set)";
}
