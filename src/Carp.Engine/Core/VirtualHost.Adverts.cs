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

    /// <summary>
    /// A periodic advert, or a takeover's: inside a timer pass both join the pass's batch, which goes out at the end of the
    /// pass before any address is added (docs/protocol.md#advert-coalescing); outside one (a preemption on receive, a forced
    /// state) there is no batch and they leave at once.
    /// </summary>
    private void SendBatchableAdvertisements() => SendAdvertisements(Config.AdvBase, AdvertisedAdvSkew, mayJoinBatch: true);

    private void SendAdvertisements() => SendAdvertisements(Config.AdvBase, AdvertisedAdvSkew);

    private void SendAdvertisements(byte advBase, byte advSkew, bool mayJoinBatch = false)
    {
        if (!mayJoinBatch)
        {
            // A bow-out or demotion advert never waits: what a pass queued goes first, then this at once.
            _node.AdvertBatch.Close(_node.Output);
        }

        if (IsVrrp)
        {
            // VRRP's bow-out is priority 0 (docs/protocol.md#vrrp-election).
            SendVrrpAdvertisement(advBase == CarpConstants.BowOut ? VrrpConstants.ShutdownPriority : Priority);
            RepeatAnnounceIfDue();
            return;
        }

        var counter = _advertCounter.Next(_node.RandomCounters);
        _hmac.Compute(counter, _hmacBuffer);
        CarpHeaderCodec.Write(_header, Config.Vhid, advSkew, DemoteCount, advBase, counter, _hmacBuffer);

        if (_hasIPv4)
        {
            Send(AddressFamily.InterNetwork, _header);
        }

        if (_hasIPv6)
        {
            Send(AddressFamily.InterNetworkV6, _header);
        }

        RepeatAnnounceIfDue();
    }

    private bool _sendingLastWord;

    /// <summary>Adverts of this virtual host that went out (each family counts), bow-outs and last words included.</summary>
    public long AdvertsSent { get; private set; }

    /// <summary>Adverts for this virtual host that passed every receive check (docs/protocol.md#receive-checks), from any sender.</summary>
    public long AdvertsReceived { get; private set; }

    /// <summary>
    /// A MASTER yields to the advert being handled: its last advert goes to that sender's MAC alone, so that a master that
    /// never knew there was a second one learns of it and re-announces (docs/protocol.md#split-brain-heal), while no backup
    /// hears an advert it might preempt.
    /// </summary>
    private void SendLastWord()
    {
        _sendingLastWord = true;
        try
        {
            SendAdvertisements();
        }
        finally
        {
            _sendingLastWord = false;
        }
    }

    private void RepeatAnnounceIfDue()
    {
        if (_sendingLastWord)
        {
            return; // it is leaving MASTER: no announcement, no ARP-balancing correction rides on its last word
        }

        if (_delayedAnnounce > 0 && --_delayedAnnounce == 0)
        {
            _delayedAnnounce = -1;
            _node.Announce(this);
        }

        if (State == CarpState.Master)
        {
            _node.ArpBalanceAdvertSent(this);
        }
    }

    /// <summary>One advert (<paramref name="payload"/>: a CARP header or a VRRP message) of <paramref name="family"/>; a failed send counts <c>onomem</c> and towards send-error demotion (docs/protocol.md#send-errors).</summary>
    private void Send(AddressFamily family, ReadOnlySpan<byte> payload)
    {
        if (_sendingLastWord)
        {
            if (_node.Output.SendAdvertisementTo(this, family, payload, _node.AdvertSenderMac) is { } delivered)
            {
                CountSend(family, delivered);
            }

            return;
        }

        var sent = _node.Output.SendAdvertisement(this, family, payload);
        if (sent && _node.AdvertBatch.IsOpen)
        {
            // Queued: counted when the batch goes out.
            _node.AdvertBatch.Add(this, family);
            return;
        }

        CountSend(family, sent);
    }

    /// <summary>Counts one advert's outcome: <c>opackets</c>/<c>opackets6</c> or <c>onomem</c>, and the send-error streak.</summary>
    internal void CountSend(AddressFamily family, bool sent)
    {
        if (sent)
        {
            AdvertsSent++;
        }

        _node.Statistics.Increment(!sent ? CarpStatistic.ONoMem
            : family == AddressFamily.InterNetwork ? CarpStatistic.OPackets : CarpStatistic.OPackets6);
        _demotion.CountSend(sent);
    }
}
