using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Carp.Engine.Protocol;

namespace Carp.Engine.Core;

/// <summary>What a virtual host does with a valid advert of its vhid (docs/protocol.md#transitions, docs/protocol.md#backup-behaviour).</summary>
public sealed partial class VirtualHost
{
    private readonly byte[] _masterSeen = new byte[16];
    private int _masterSeenLength;

    /// <summary>Source of the last valid advert from another node.</summary>
    public IPAddress? MasterSeen => _masterSeenLength == 0 ? null : new IPAddress(_masterSeen.AsSpan(0, _masterSeenLength));

    /// <summary>The advbase and advskew of that advert (255/255 for a bow-out), or null when none was heard.</summary>
    public (byte AdvBase, byte AdvSkew)? MasterSeenTiming => _masterSeenLength == 0 || IsVrrp ? null : _masterSeenTiming;

    private (byte AdvBase, byte AdvSkew) _masterSeenTiming;

    /// <summary>Our advert interval as peers see it: advbase and the advertised advskew.</summary>
    private long LocalInterval => CarpTiming.Interval(Config.AdvBase, AdvertisedAdvSkew);

    /// <summary>A valid advert (checksum, version and HMAC already verified) for this vhid.</summary>
    internal void OnAdvertisement(in CarpAdvertisement advert, AddressFamily family, ReadOnlySpan<byte> source, long receivedAt)
    {
        AdvertsReceived++;
        if (State == CarpState.Init)
        {
            return;
        }

        _advertCounter.Adopt(advert.Counter);
        RememberMasterSeen(source);
        _masterSeenTiming = (advert.AdvBase, advert.AdvSkew);

        var remote = CarpTiming.Interval(advert.AdvBase, advert.AdvSkew);
        var local = LocalInterval;
        var honourDemote = Profile.HonourDemoteByte;
        var remoteDemote = honourDemote ? advert.DemoteCount : 0;
        var localDemote = honourDemote ? DemoteCount : 0;

        switch (State)
        {
            case CarpState.Master:
                // A bow-out says its sender is leaving; a master never yields to it (OpenBSD would when
                // demoted, and a dual-stack vhid then flips back to BACKUP on the second family's bow-out).
                if (advert is not { AdvBase: CarpConstants.BowOut, AdvSkew: CarpConstants.BowOut })
                {
                    OnAdvertisementAsMaster(local, remote, remoteDemote, localDemote, source);
                }

                break;

            case CarpState.Backup when Suspended:
                // Maintenance: it listens (MasterSeen stays current) but takes nothing over (docs/protocol.md#maintenance).
                break;

            case CarpState.Backup:
                if (_node.Sysctls.Preempt && local < remote && remoteDemote >= localDemote)
                {
                    EnterMaster(TransitionReason.Preempt);
                }
                else if (remoteDemote > localDemote)
                {
                    EnterMaster(TransitionReason.RemoteDemoted);
                }
                else if (CarpTiming.ObviousTimeout(Config.AdvBase, AdvertisedAdvSkew) < remote)
                {
                    EnterMaster(TransitionReason.MasterWillTimeOut);
                }
                else
                {
                    ArmMasterDown(family, receivedAt);
                }

                break;
        }
    }

    private void OnAdvertisementAsMaster(long local, long remote, int remoteDemote, int localDemote, ReadOnlySpan<byte> source)
    {
        if (Profile.EqualIntervalTieBreakByAddress)
        {
            // ucarp: the master with the lower interval wins; on a tie the one whose source IPv4, read as a
            // little-endian integer, is lower stays (docs/protocol.md#transitions quirk). The loser sends one more advert first.
            var yields = local > remote || (local == remote && IsLowerAsLittleEndian(source, Device.SourceV4));
            if (yields)
            {
                SendAdvertisements();
                EnterBackup(TransitionReason.MoreFrequentMaster);
            }
            else
            {
                _node.Announce(this);
                _delayedAnnounce = 2;
            }

            return;
        }

        if ((local >= remote && remoteDemote <= localDemote) || remoteDemote < localDemote)
        {
            if (local != remote || remoteDemote != localDemote)
            {
                // Not after a tie: there adverts that cross make both yield, and a last word reaching a node that has
                // already yielded would make it preempt (docs/protocol.md#split-brain-heal).
                SendLastWord();
            }

            EnterBackup(TransitionReason.MoreFrequentMaster);
        }
        else
        {
            AnswerOtherMaster();
        }
    }

    private void RememberMasterSeen(ReadOnlySpan<byte> source)
    {
        source.CopyTo(_masterSeen);
        _masterSeenLength = source.Length;
    }

    private static bool IsLowerAsLittleEndian(ReadOnlySpan<byte> remote, IPAddress? own)
    {
        if (remote.Length != 4 || own is null || own.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }

        Span<byte> ownBytes = stackalloc byte[4];
        own.TryWriteBytes(ownBytes, out _);
        return BinaryPrimitives.ReadUInt32LittleEndian(remote) < BinaryPrimitives.ReadUInt32LittleEndian(ownBytes);
    }
}
