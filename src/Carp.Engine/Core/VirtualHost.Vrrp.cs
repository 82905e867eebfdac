using System.Net.Sockets;
using Carp.Engine.Protocol;

namespace Carp.Engine.Core;

/// <summary>
/// A virtual host in VRRPv3 mode (docs/protocol.md#vrrp): the same states, inputs, timers and outputs as CARP, with
/// VRRP's adverts (priority, a centisecond interval, the address list), its election by priority and primary address,
/// the backup learning the master's interval, and priority 0 as the bow-out.
/// </summary>
public sealed partial class VirtualHost
{
    private byte[] _vrrpAddresses = [];
    private byte[] _vrrpMessage = [];

    /// <summary>True for a VRRPv3 virtual host (fixed at creation).</summary>
    public bool IsVrrp => Config.IsVrrp;

    /// <summary>
    /// VRRP: Master_Adver_Interval in centiseconds, the interval the master-down timer runs on: the master's, learnt from
    /// its adverts, or our own until one was heard (docs/protocol.md#vrrp-timers). 0 for CARP.
    /// </summary>
    public ushort MasterAdverInterval { get; private set; }

    /// <summary>VRRP: the priority of the last valid advert from another router (0 for a shutdown), or null.</summary>
    public byte? MasterSeenPriority { get; private set; }

    /// <summary>A MASTER that leaves sends a last advert: CARP's bow-out where the profile has one, VRRP's priority 0 always.</summary>
    private bool SendsBowOut => IsVrrp || Profile.BowOut;

    /// <summary>Prepares the address list of the adverts from a (new) configuration.</summary>
    private void ConfigureVrrp(VirtualHostConfig config)
    {
        if (!config.IsVrrp)
        {
            return;
        }

        var length = config.HasIPv6 ? 16 : 4;
        _vrrpAddresses = new byte[config.Addresses.Count * length];
        for (var i = 0; i < config.Addresses.Count; i++)
        {
            VrrpCodec.WriteAddress(config.Addresses[i].Address, _vrrpAddresses.AsSpan(i * length, length));
        }

        _vrrpMessage = new byte[VrrpConstants.FixedLength + _vrrpAddresses.Length];
        if (MasterAdverInterval == 0 || State != CarpState.Backup)
        {
            MasterAdverInterval = config.Interval;
        }
    }

    /// <summary>The length of this host's advert payload: CARP's 36-byte header, or its VRRP message (AdvertFrameCache.Prepare).</summary>
    internal int AdvertLength(AddressFamily family) => IsVrrp && _vrrpMessage is not null ? _vrrpMessage.Length : CarpConstants.HeaderLength;

    /// <summary>The family of a VRRP virtual router: its addresses are all of one (VirtualHostConfig.Validate).</summary>
    private AddressFamily VrrpFamily => _hasIPv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;

    /// <summary>One VRRP advert with <paramref name="priority"/> (0 to leave) from the carpdev's address of the family.</summary>
    private void SendVrrpAdvertisement(byte priority)
    {
        var family = VrrpFamily;
        var source = family == AddressFamily.InterNetwork ? Device.SourceV4 : Device.SourceV6;
        if (source is null)
        {
            // The core runs no vhost without a source address (NoSourceAddress); a failed send is counted as CARP's are.
            CountSend(family, sent: false);
            return;
        }

        var destination = (family == AddressFamily.InterNetwork ? Config.Peer : Config.Peer6)
            ?? (family == AddressFamily.InterNetwork ? VrrpConstants.MulticastV4 : VrrpConstants.MulticastV6);
        Span<byte> sourceBytes = stackalloc byte[16];
        Span<byte> destinationBytes = stackalloc byte[16];
        var sourceLength = VrrpCodec.WriteAddress(source, sourceBytes);
        var destinationLength = VrrpCodec.WriteAddress(destination, destinationBytes);
        var length = VrrpCodec.Write(_vrrpMessage, Vhid, priority, Config.Interval, _vrrpAddresses,
            sourceBytes[..sourceLength], destinationBytes[..destinationLength], Config.VrrpChecksum);
        Send(family, _vrrpMessage.AsSpan(0, length));
    }

    /// <summary>Whether a received advert lists exactly our addresses, in any order (docs/protocol.md#vrrp-receive-checks).</summary>
    internal bool VrrpAddressesMatch(ReadOnlySpan<byte> addresses)
    {
        var length = _hasIPv6 ? 16 : 4;
        if (addresses.Length != _vrrpAddresses.Length)
        {
            return false;
        }

        for (var i = 0; i < addresses.Length; i += length)
        {
            var found = false;
            for (var j = 0; j < _vrrpAddresses.Length && !found; j += length)
            {
                found = addresses.Slice(i, length).SequenceEqual(_vrrpAddresses.AsSpan(j, length));
            }

            if (!found)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A valid VRRP advert (checksum, version, TTL and addresses checked) for this VRID (docs/protocol.md#vrrp-election).</summary>
    internal void OnVrrpAdvertisement(in VrrpAdvertisement advert, ReadOnlySpan<byte> source, long receivedAt)
    {
        AdvertsReceived++;
        if (State == CarpState.Init)
        {
            return;
        }

        RememberMasterSeen(source);
        MasterSeenPriority = advert.Priority;
        var leaving = advert.Priority == VrrpConstants.ShutdownPriority;

        switch (State)
        {
            case CarpState.Master when leaving:
                // Another master left: advertise at once, so that its backups see us before their skew time runs out.
                SendAdvertisements();
                ArmAdvert();
                break;

            case CarpState.Master:
                if (advert.Priority > Priority || (advert.Priority == Priority && IsHigherThanOwn(source)))
                {
                    SendLastWord();
                    EnterBackup(TransitionReason.HigherPriorityMaster);
                    LearnMasterInterval(advert.Interval);
                }
                else
                {
                    // RFC 5798 discards it; we answer at once (docs/protocol.md#split-brain-heal), as keepalived does.
                    AnswerOtherMaster();
                }

                break;

            case CarpState.Backup when Suspended:
                // Maintenance: it listens but takes nothing over (docs/protocol.md#maintenance).
                if (!leaving)
                {
                    MasterAdverInterval = advert.Interval;
                }

                break;

            case CarpState.Backup when leaving:
                // RFC 9568 §6.4.2: the master left; take over after the skew time alone.
                ArmMasterDownAfter(VrrpTiming.Skew(Priority, MasterAdverInterval), since: receivedAt);
                break;

            case CarpState.Backup:
                if (!Config.Preempt || advert.Priority >= Priority)
                {
                    LearnMasterInterval(advert.Interval, receivedAt);
                }

                // Else: a lower-priority master while we preempt: ignored, so our master-down timer takes over.
                break;
        }
    }

    /// <summary>Master_Adver_Interval from the master's advert, and the master-down timer re-armed on it.</summary>
    private void LearnMasterInterval(ushort interval, long? receivedAt = null)
    {
        MasterAdverInterval = interval;
        ArmMasterDown(AddressFamily.Unspecified, receivedAt ?? _node.Now);
    }

    /// <summary>RFC 5798 §6.4.3: a tie of priorities goes to the higher primary address, compared as unsigned numbers.</summary>
    private bool IsHigherThanOwn(ReadOnlySpan<byte> source)
    {
        var own = source.Length == 4 ? Device.SourceV4 : Device.SourceV6;
        if (own is null)
        {
            return true;
        }

        Span<byte> ownBytes = stackalloc byte[16];
        var length = VrrpCodec.WriteAddress(own, ownBytes);
        return source.SequenceCompareTo(ownBytes[..length]) > 0;
    }

    /// <summary>True when a protocol-112 payload is a VRRPv3 message (version nibble 3) rather than CARP's (2).</summary>
    internal static bool IsVrrpPayload(ReadOnlySpan<byte> payload) => payload.Length > 0 && payload[0] >> 4 == VrrpConstants.Version;
}
