using System.Net.NetworkInformation;
using Carp.Engine.Core;

namespace Carp.Engine.Protocol;

/// <summary>
/// The HMAC-SHA1 of one virtual host (spec §2.2): prepared once for its key, vhid and address set,
/// then computed/verified per advert without allocation. Not thread-safe: one per virtual host,
/// used from the engine's thread.
/// </summary>
public sealed class CarpHmac : IDisposable
{
    /// <param name="customLladdr">OpenBSD only: a custom, non-real, non-default lladdr that is hashed after the type byte.</param>
    public CarpHmac(CarpKey key, byte vhid, IEnumerable<CarpAddress> addresses, PhysicalAddress? customLladdr = null) =>
        throw new NotImplementedException();

    /// <summary>Writes the HMAC sent with <paramref name="counter"/> (link-local/scoped IPv6 addresses excluded: OpenBSD HMAC_NOV6LL).</summary>
    public void Compute(ulong counter, Span<byte> destination) => throw new NotImplementedException();

    /// <summary>Constant-time check of a received HMAC against both variants (without and with scoped IPv6 addresses).</summary>
    public bool Verify(ulong counter, ReadOnlySpan<byte> received) => throw new NotImplementedException();

    public void Dispose() => throw new NotImplementedException();
}
