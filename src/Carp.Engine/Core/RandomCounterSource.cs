using Carp.Engine.Protocol;

namespace Carp.Engine.Core;

/// <summary>
/// The random advert counters of a node's virtual hosts that have not yet heard a peer (docs/protocol.md#replay-counter):
/// from a seeded <see cref="Random"/> for a reproducible simulation, otherwise from the system CSPRNG a block at a time
/// (docs/protocol.md#per-frame-randomness).
/// </summary>
internal sealed class RandomCounterSource(Random? random)
{
    private readonly BlockRandom _block = new();

    public ulong Next()
    {
        if (random is not null)
        {
            return (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63);
        }

        // One CSPRNG call per 32 counters: a master that has not heard a peer draws one per advert.
        return _block.NextUInt64();
    }
}
