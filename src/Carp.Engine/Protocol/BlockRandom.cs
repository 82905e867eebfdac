using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Carp.Engine.Protocol;

/// <summary>
/// Random numbers from the system CSPRNG drawn a block at a time: one <see cref="RandomNumberGenerator.Fill"/>
/// (one OpenSSL RAND_bytes call, which makes a getpid() system call each time) per <see cref="BlockBytes"/> bytes,
/// instead of one per value (docs/protocol.md#per-frame-randomness). Not thread-safe: one instance per thread.
/// </summary>
internal sealed class BlockRandom
{
    /// <summary>256 bytes: 32 advert counters, or 128 IPv4 identifications, per CSPRNG call.</summary>
    public const int BlockBytes = 256;

    private readonly byte[] _block = new byte[BlockBytes];
    private int _used = BlockBytes;

    /// <summary>How many times the CSPRNG was called (for tests and benchmarks).</summary>
    public long Refills { get; private set; }

    public ulong NextUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(sizeof(ulong)));

    public ushort NextUInt16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(sizeof(ushort)));

    private ReadOnlySpan<byte> Take(int count)
    {
        if (_used + count > BlockBytes)
        {
            RandomNumberGenerator.Fill(_block);
            Refills++;
            _used = 0;
        }

        var taken = _block.AsSpan(_used, count);
        _used += count;
        return taken;
    }
}
