using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Carp.Engine.Core;

/// <summary>
/// The random advert counters of a node's virtual hosts that have not yet heard a peer (docs/protocol.md#replay-counter):
/// from a seeded <see cref="Random"/> for a reproducible simulation, otherwise from the system CSPRNG.
/// </summary>
internal sealed class RandomCounterSource(Random? random)
{
    private readonly ulong[] _block = new ulong[32];
    private int _used = 32;

    public ulong Next()
    {
        if (random is not null)
        {
            return (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63);
        }

        // One CSPRNG call per 32 counters: a master that has not heard a peer draws one per advert.
        if (_used == _block.Length)
        {
            RandomNumberGenerator.Fill(MemoryMarshal.AsBytes(_block.AsSpan()));
            _used = 0;
        }

        return _block[_used++];
    }
}
