using System.Net.Sockets;
using Carp.Engine.Protocol;

namespace Carp.Engine.Core;

/// <summary>
/// A virtual host's adverts: the header with its counter and HMAC (docs/protocol.md#packet-header,
/// docs/protocol.md#hmac-input, docs/protocol.md#replay-counter), one send per family, the delayed second
/// announcement (docs/protocol.md#announce-on-master), and the checks the receive path asks of them.
/// </summary>
public sealed partial class VirtualHost
{
    private readonly byte[] _header = new byte[CarpConstants.HeaderLength];
    private readonly byte[] _hmacBuffer = new byte[CarpConstants.HmacLength];
    private readonly AdvertCounter _advertCounter = new();
    private CarpHmac _hmac;

    // "Delayed ARP": a second announcement after two more adverts (docs/protocol.md#announce-on-master).
    private int _delayedAnnounce = -1;

    internal bool VerifyHmac(ulong counter, ReadOnlySpan<byte> hmac) => _hmac.Verify(counter, hmac);

    /// <summary>
    /// Our own advert looped back: our last counter from our own address (docs/protocol.md#replay-counter). The address matters:
    /// two backups that adopted the same counter and take over together both send counter + 1.
    /// </summary>
    internal bool IsOwnEcho(ulong counter, ReadOnlySpan<byte> source) => _advertCounter.IsLastSent(counter) && Device.IsOwnAddress(source);

    private static CarpHmac NewHmac(VirtualHostConfig config) =>
        new(config.Key, config.Vhid, config.Addresses.Select(a => a.Address), sendScoped: config.Profile.SignsLinkLocalAddresses);

    private void SendAdvertisements() => SendAdvertisements(Config.AdvBase, AdvertisedAdvSkew);

    private void SendAdvertisements(byte advBase, byte advSkew)
    {
        var counter = _advertCounter.Next(_node.RandomCounters);
        _hmac.Compute(counter, _hmacBuffer);
        CarpHeaderCodec.Write(_header, Config.Vhid, advSkew, DemoteCount, advBase, counter, _hmacBuffer);

        if (_hasIPv4)
        {
            Send(AddressFamily.InterNetwork, CarpStatistic.OPackets);
        }

        if (_hasIPv6)
        {
            Send(AddressFamily.InterNetworkV6, CarpStatistic.OPackets6);
        }

        if (_delayedAnnounce > 0 && --_delayedAnnounce == 0)
        {
            _delayedAnnounce = -1;
            _node.Output.Announce(this);
        }
    }

    /// <summary>One advert of <paramref name="family"/>; a failed send counts <c>onomem</c> and towards send-error demotion (docs/protocol.md#send-errors).</summary>
    private void Send(AddressFamily family, CarpStatistic counter)
    {
        var sent = _node.Output.SendAdvertisement(this, family, _header);
        _node.Statistics.Increment(sent ? counter : CarpStatistic.ONoMem);
        _demotion.CountSend(sent);
    }
}
