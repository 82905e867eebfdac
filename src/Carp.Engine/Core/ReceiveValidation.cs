using System.Globalization;
using System.Net.Sockets;
using Carp.Engine.Protocol;

namespace Carp.Engine.Core;

/// <summary>
/// The checks a received CARP packet passes before its virtual host sees it, in the kernels' order
/// (docs/protocol.md#receive-checks). Every CARP packet counts as received; a failure counts its one
/// carpstats counter (docs/protocol.md#carpstats) and drops the packet. Never throws for any frame content.
/// </summary>
internal sealed partial class ReceiveValidation(CarpStatistics statistics, ICarpOutput output)
{
    /// <summary>A CARP or VRRP advert that passed every check, for <see cref="Host"/>.</summary>
    public readonly ref struct Accepted(VirtualHost host, CarpAdvertisement advert, AddressFamily family, ReadOnlySpan<byte> source)
    {
        public Accepted(VirtualHost host, VrrpAdvertisement vrrp, AddressFamily family, ReadOnlySpan<byte> source)
            : this(host, default(CarpAdvertisement), family, source)
        {
            Vrrp = vrrp;
            IsVrrp = true;
        }

        /// <summary>True for a VRRPv3 advert (<see cref="Vrrp"/>), false for a CARP one (<see cref="Advert"/>).</summary>
        public bool IsVrrp { get; }

        public VrrpAdvertisement Vrrp { get; }

        public VirtualHost Host { get; } = host;

        public CarpAdvertisement Advert { get; } = advert;

        public AddressFamily Family { get; } = family;

        /// <summary>The sender's IP address bytes, inside the frame.</summary>
        public ReadOnlySpan<byte> Source { get; } = source;
    }

    /// <summary>
    /// Checks one captured frame from <paramref name="device"/>. Frames that are not CARP are ignored uncounted;
    /// with <c>allow</c> 0 CARP packets are counted and dropped silently.
    /// </summary>
    public bool TryAccept(CarpDevice device, ReadOnlySpan<byte> frame, CarpSysctls sysctls, out Accepted accepted)
    {
        accepted = default;
        var status = CarpFrameReader.TryParse(frame, out var carp);
        if (status == CarpFrameStatus.NotCarp)
        {
            return false;
        }

        var isV6 = carp.Family == AddressFamily.InterNetworkV6;
        statistics.Increment(isV6 ? CarpStatistic.IPackets6 : CarpStatistic.IPackets);
        if (!sysctls.Allow)
        {
            return false;
        }

        if (status == CarpFrameStatus.Truncated)
        {
            return Drop(sysctls, CarpStatistic.HdrOps, device, 0, "IP header cut short");
        }

        if (device.Count == 0)
        {
            return Drop(sysctls, CarpStatistic.BadIf, device, 0, "packet on an interface without CARP");
        }

        var payload = carp.Payload(frame);
        // Version 3 for a VRRP vhid of this carpdev takes VRRP's checks; anything else is checked as CARP, as before VRRP
        // existed (a version-3 packet for a CARP vhid fails there: bad length, checksum or version).
        if (VirtualHost.IsVrrpPayload(payload) && payload.Length >= 2 && device[payload[1]] is { IsVrrp: true })
        {
            return TryAcceptVrrp(device, frame, carp, payload, sysctls, out accepted);
        }

        if (payload.Length < CarpConstants.HeaderLength || !CarpHeaderCodec.TryRead(payload, out var advert))
        {
            return Drop(sysctls, CarpStatistic.BadLen, device, 0, "payload of {0} bytes, expected 36", payload.Length);
        }

        if (!CarpHeaderCodec.IsChecksumValid(payload))
        {
            return Drop(sysctls, CarpStatistic.BadSum, device, advert.Vhid, "bad checksum");
        }

        var host = device[advert.Vhid];
        if (host is null || !host.Carries(carp.Family))
        {
            // FreeBSD looks the vhid up among the carpdev's addresses of the packet's family (docs/protocol.md#receive-checks).
            return Drop(sysctls, CarpStatistic.BadVhid, device, advert.Vhid, host is null ? "no such vhid here" : "vhid has no address of this family");
        }

        if (host.IsVrrp)
        {
            return Drop(sysctls, CarpStatistic.BadVer, device, advert.Vhid, "a CARP advert (version 2) for a VRRPv3 vhid");
        }

        if (advert.Version != CarpConstants.Version)
        {
            return Drop(sysctls, CarpStatistic.BadVer, device, advert.Vhid, "version {0}", advert.Version);
        }

        // TTL 255 proves the sender is on-link; FreeBSD lets adverts to a configured unicast peer be routed, OpenBSD does not (docs/protocol.md#unicast-peers).
        if (carp.Ttl != CarpConstants.Ttl && !(host.UsesUnicastPeer(carp.Family) && !host.Config.Profile.RequireTtlForUnicast))
        {
            return Drop(sysctls, CarpStatistic.BadTtl, device, advert.Vhid, "TTL {0}, expected 255", carp.Ttl);
        }

        if (!host.VerifyHmac(advert.Counter, CarpHeaderCodec.Hmac(payload)))
        {
            return Drop(sysctls, CarpStatistic.BadAuth, device, advert.Vhid, "bad HMAC: check vhid, pass and the virtual addresses on both sides");
        }

        if (host.IsOwnEcho(advert.Counter, carp.Source(frame)))
        {
            return Drop(sysctls, CarpStatistic.BadAuth, device, advert.Vhid, "replay or network loop detected (our own advert)");
        }

        accepted = new Accepted(host, advert, carp.Family, carp.Source(frame));
        return true;
    }

    /// <summary>Counts a dropped packet; the detail is only formatted when the <c>log</c> sysctl wants it. Always false.</summary>
    private bool Drop(CarpSysctls sysctls, CarpStatistic counter, CarpDevice device, byte vhid, string detail, long value = 0)
    {
        statistics.Increment(counter);
        if (sysctls.Log >= 2)
        {
            output.BadPacket(counter, device.Name, vhid, string.Format(CultureInfo.InvariantCulture, detail, value));
        }

        return false;
    }
}
