using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Carp.Engine.Protocol;

/// <summary>
/// The HMAC-SHA1 of one virtual host (docs/protocol.md#hmac-input): prepared once for its key, vhid and address set,
/// then computed/verified per advert without allocation. Not thread-safe: one per virtual host,
/// used from the engine's thread.
/// </summary>
public sealed class CarpHmac : IDisposable
{
    private const int CounterLength = 8;
    private const int LladdrLength = 6;

    // Both variants share the key, so one reusable HMAC context serves both (measured: a reused
    // IncrementalHash is about twice as fast as the one-shot HMACSHA1.HashData and allocates nothing).
    private readonly IncrementalHash _hash;

    // Each message is the precomputed prefix followed by 8 counter bytes rewritten per call.
    private readonly byte[] _primaryMessage;
    private readonly byte[]? _withScopedMessage;
    private bool _scopedMatchedLast;
    private readonly bool _sendScoped;

    /// <param name="addresses">The virtual addresses of the vhid (prefix lengths play no part in the HMAC).</param>
    /// <param name="customLladdr">OpenBSD only: a custom, non-real, non-default lladdr that is hashed after the type byte.</param>
    /// <param name="sendScoped">
    /// Sign with link-local/scoped IPv6 addresses included (FreeBSD and NetBSD hash every address attached to the vhid);
    /// false signs without them (OpenBSD's HMAC_NOV6LL). Verification accepts both either way.
    /// </param>
    public CarpHmac(CarpKey key, byte vhid, IEnumerable<IPAddress> addresses, PhysicalAddress? customLladdr = null, bool sendScoped = false)
    {
        _sendScoped = sendScoped;
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(addresses);

        byte[]? lladdr = null;
        if (customLladdr is not null)
        {
            lladdr = customLladdr.GetAddressBytes();
            if (lladdr.Length != LladdrLength)
            {
                throw new ArgumentException("A custom lladdr must be a 6-byte Ethernet address.", nameof(customLladdr));
            }
        }

        var v4 = new SortedSet<uint>();
        var v6 = new SortedSet<byte[]>(ByteArrayComparer.Instance);
        var v6Scoped = new SortedSet<byte[]>(ByteArrayComparer.Instance);
        Span<byte> v4Bytes = stackalloc byte[4];
        foreach (var address in addresses)
        {
            if (address is null)
            {
                continue;
            }

            if (address.AddressFamily == AddressFamily.InterNetwork)
            {
                address.TryWriteBytes(v4Bytes, out _);
                var value = BinaryPrimitives.ReadUInt32BigEndian(v4Bytes);
                if (value is not (0 or uint.MaxValue))
                {
                    v4.Add(value);
                }
            }
            else if (address.AddressFamily == AddressFamily.InterNetworkV6)
            {
                var bytes = address.GetAddressBytes();
                var scoped = IsScoped(bytes);
                if (scoped)
                {
                    // KAME embedded scope (the interface index) lives in bytes 2–3; the kernels clear it.
                    bytes[2] = 0;
                    bytes[3] = 0;
                }

                if (bytes.AsSpan().IndexOfAnyExcept((byte)0) < 0 || bytes.AsSpan().IndexOfAnyExcept((byte)0xFF) < 0)
                {
                    continue;
                }

                v6Scoped.Add(bytes);
                if (!scoped)
                {
                    v6.Add(bytes);
                }
            }
        }

        _primaryMessage = BuildMessage(lladdr, vhid, v4, v6);
        if (v6Scoped.Count != v6.Count)
        {
            _withScopedMessage = BuildMessage(lladdr, vhid, v4, v6Scoped);
        }

        _hash = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, key.Bytes); // the wire protocol mandates HMAC-SHA1
    }

    /// <summary>True when a second variant with link-local/scoped IPv6 addresses exists (OpenBSD HMAC_ORIG).</summary>
    internal bool HasScopedVariant => _withScopedMessage is not null;

    /// <summary>The message hashed by <see cref="Compute"/> without its counter, for tests.</summary>
    internal ReadOnlySpan<byte> PrimaryMessagePrefix => _primaryMessage.AsSpan(0, _primaryMessage.Length - CounterLength);

    /// <summary>Writes the HMAC sent with <paramref name="counter"/>: without scoped IPv6 addresses (OpenBSD HMAC_NOV6LL) unless built with sendScoped.</summary>
    public void Compute(ulong counter, Span<byte> destination)
    {
        if (destination.Length < CarpConstants.HmacLength)
        {
            throw new ArgumentException($"The HMAC needs {CarpConstants.HmacLength} bytes.", nameof(destination));
        }

        Hash(_sendScoped && _withScopedMessage is not null ? _withScopedMessage : _primaryMessage, counter, destination);
    }

    /// <summary>Constant-time check of a received HMAC against both variants (without and with scoped IPv6 addresses).</summary>
    public bool Verify(ulong counter, ReadOnlySpan<byte> received)
    {
        if (received.Length != CarpConstants.HmacLength)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[CarpConstants.HmacLength];
        if (_withScopedMessage is null)
        {
            Hash(_primaryMessage, counter, expected);
            return CryptographicOperations.FixedTimeEquals(expected, received);
        }

        // A peer keeps sending the same variant, so the one that matched last is tried first:
        // a steady stream then costs one HMAC per advert, whichever variant the peer uses.
        var first = _scopedMatchedLast ? _withScopedMessage : _primaryMessage;
        var second = _scopedMatchedLast ? _primaryMessage : _withScopedMessage;
        Hash(first, counter, expected);
        if (CryptographicOperations.FixedTimeEquals(expected, received))
        {
            return true;
        }

        Hash(second, counter, expected);
        if (CryptographicOperations.FixedTimeEquals(expected, received))
        {
            _scopedMatchedLast = !_scopedMatchedLast;
            return true;
        }

        return false;
    }

    public void Dispose() => _hash.Dispose();

    private void Hash(byte[] message, ulong counter, Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(message.AsSpan(message.Length - CounterLength), counter);
        _hash.AppendData(message);
        _hash.GetHashAndReset(destination[..CarpConstants.HmacLength]);
    }

    // IN6_IS_SCOPE_EMBED: link-local unicast, interface- and link-local multicast.
    private static bool IsScoped(byte[] address) =>
        (address[0] == 0xFE && (address[1] & 0xC0) == 0x80) ||
        (address[0] == 0xFF && ((address[1] & 0x0F) is 0x01 or 0x02));

    private static byte[] BuildMessage(byte[]? lladdr, byte vhid, SortedSet<uint> v4, SortedSet<byte[]> v6)
    {
        var length = 2 + (lladdr?.Length ?? 0) + 1 + (4 * v4.Count) + (16 * v6.Count) + CounterLength;
        var message = new byte[length];
        var span = message.AsSpan();
        span[0] = CarpConstants.Version;
        span[1] = CarpConstants.TypeAdvertisement;
        var offset = 2;
        if (lladdr is not null)
        {
            lladdr.CopyTo(span[offset..]);
            offset += lladdr.Length;
        }

        span[offset++] = vhid;
        foreach (var value in v4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(span[offset..], value);
            offset += 4;
        }

        foreach (var bytes in v6)
        {
            bytes.CopyTo(span[offset..]);
            offset += 16;
        }

        return message;
    }

    private sealed class ByteArrayComparer : IComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
