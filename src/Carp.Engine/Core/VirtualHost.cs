using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Carp.Engine.Protocol;

namespace Carp.Engine.Core;

/// <summary>
/// One CARP virtual host (carpdev, vhid): the state machine of docs/protocol.md#state-machine with its timers. Pure: time
/// comes from the node's <see cref="TimeProvider"/>, effects go to the node's <see cref="ICarpOutput"/>.
/// Only the node's thread calls into it.
/// </summary>
public sealed class VirtualHost : IDisposable
{
    private const long Unarmed = long.MaxValue;

    private readonly CarpNode _node;
    private readonly byte[] _header = new byte[CarpConstants.HeaderLength];
    private readonly byte[] _hmacBuffer = new byte[CarpConstants.HmacLength];
    private readonly byte[] _masterSeen = new byte[16];
    private CarpHmac _hmac;

    private long _advertDeadline = Unarmed;
    private long _masterDownDeadline4 = Unarmed;
    private long _masterDownDeadline6 = Unarmed;

    // Adopt-and-increment counter (docs/protocol.md#replay-counter): random per advert until a valid advert is heard.
    private bool _initCounter = true;
    private ulong _counter;
    private ulong _lastSentCounter;
    private bool _sentAny;

    // "Delayed ARP": a second announcement after two more adverts (docs/protocol.md#announce-on-master).
    private int _delayedAnnounce = -1;
    private int _masterSeenLength;
    private bool _removed;

    // The address families of the config, kept here because the receive and send paths ask per packet.
    private bool _hasIPv4;
    private bool _hasIPv6;

    internal VirtualHost(CarpNode node, CarpDevice device, VirtualHostConfig config)
    {
        _node = node;
        Device = device;
        Config = config;
        _hmac = NewHmac(config);
        AdvertisedSkew = config.AdvSkew;
        (_hasIPv4, _hasIPv6) = (config.HasIPv4, config.HasIPv6);
    }

    public VirtualHostConfig Config { get; private set; }

    public CarpDevice Device { get; }

    public string Name => Config.Name;

    public byte Vhid => Config.Vhid;

    public CarpState State { get; private set; } = CarpState.Init;

    /// <summary>The advskew put on the wire and used in comparisons (after demotion / suppression).</summary>
    public byte AdvertisedSkew { get; private set; }

    /// <summary>The OpenBSD demote count put in byte 4.</summary>
    public byte Demote { get; private set; }

    /// <summary>This interface's own OpenBSD demote counter (used when it belongs to no group).</summary>
    public int OwnDemoteCount { get; internal set; }

    public long Transitions { get; private set; }

    public DateTimeOffset? LastTransition { get; private set; }

    public TransitionReason? LastTransitionReason { get; private set; }

    /// <summary>Consecutive failed sends; 3 in a row demote (docs/protocol.md#preemption).</summary>
    internal int SendErrors { get; private set; }

    internal bool SendErrorDemoted { get; set; }

    /// <summary>Source of the last valid advert from another node.</summary>
    public IPAddress? MasterSeen => _masterSeenLength == 0 ? null : new IPAddress(_masterSeen.AsSpan(0, _masterSeenLength));

    /// <summary>The earliest armed timer, or null.</summary>
    public long? NextDeadline
    {
        get
        {
            var next = Math.Min(_advertDeadline, Math.Min(_masterDownDeadline4, _masterDownDeadline6));
            return next == Unarmed ? null : next;
        }
    }

    private CompatibilityProfile Profile => Config.Profile;

    /// <summary>Skew the timers run on: FreeBSD arms them with the raw advskew, old FreeBSD with the suppressed one.</summary>
    private byte TimerSkew => Profile.Demotion == DemotionStyle.SuppressPreempt ? AdvertisedSkew : Config.AdvSkew;

    private long LocalInterval => CarpTiming.Interval(Config.AdvBase, AdvertisedSkew);

    /// <summary>The deadline of this host's entry in the node's timer queue, if it has one.</summary>
    internal long? ScheduledAt { get; set; }

    // ---- Inputs -------------------------------------------------------------------------------

    /// <summary>(Re)arm timers for the current state, moving INIT → BACKUP when usable (the kernels' setrun).</summary>
    internal void SetRun(TransitionReason reason)
    {
        if (!IsUsable(out var initReason))
        {
            if (State != CarpState.Init)
            {
                EnterInit(initReason);
            }

            return;
        }

        switch (State)
        {
            case CarpState.Init:
                EnterBackup(reason);
                break;
            case CarpState.Backup:
                ArmMasterDown(AddressFamily.Unspecified);
                break;
            case CarpState.Master:
                ArmAdvert();
                break;
        }
    }

    /// <summary>A valid advert (checksum, version and HMAC already verified) for this vhid.</summary>
    internal void OnAdvertisement(in CarpAdvertisement advert, AddressFamily family, ReadOnlySpan<byte> source)
    {
        if (State == CarpState.Init)
        {
            return;
        }

        _counter = advert.Counter;
        _initCounter = false;
        RememberMasterSeen(source);

        var remote = CarpTiming.Interval(advert.AdvBase, advert.AdvSkew);
        var local = LocalInterval;
        var honourDemote = Profile.HonourDemoteByte;
        var remoteDemote = honourDemote ? advert.Demote : 0;
        var localDemote = honourDemote ? Demote : 0;

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

            case CarpState.Backup:
                if (_node.Sysctls.Preempt && local < remote && remoteDemote >= localDemote)
                {
                    EnterMaster(TransitionReason.Preempt);
                }
                else if (remoteDemote > localDemote)
                {
                    EnterMaster(TransitionReason.RemoteDemoted);
                }
                else if (CarpTiming.ObviousTimeout(Config.AdvBase, AdvertisedSkew) < remote)
                {
                    EnterMaster(TransitionReason.MasterWillTimeOut);
                }
                else
                {
                    ArmMasterDown(family);
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
                _node.Output.Announce(this);
                _delayedAnnounce = 2;
            }

            return;
        }

        if ((local >= remote && remoteDemote <= localDemote) || remoteDemote < localDemote)
        {
            EnterBackup(TransitionReason.MoreFrequentMaster);
        }
    }

    /// <summary>Timers at or before <paramref name="now"/> fire.</summary>
    internal void OnTimer(long now)
    {
        if (_masterDownDeadline4 <= now || _masterDownDeadline6 <= now)
        {
            _masterDownDeadline4 = _masterDownDeadline6 = Unarmed;
            if (State == CarpState.Backup)
            {
                EnterMaster(TransitionReason.MasterDown);
            }
        }

        if (_advertDeadline <= now)
        {
            _advertDeadline = Unarmed;
            if (State == CarpState.Master)
            {
                SendAdvertisements();
                ArmAdvert();
            }
        }
    }

    /// <summary>Administrative state change, like FreeBSD's <c>ifconfig … vhid N state master|backup</c>: the protocol runs on from there.</summary>
    internal void Force(CarpState state)
    {
        if (!IsUsable(out _))
        {
            return;
        }

        if (state == CarpState.Master && State != CarpState.Master)
        {
            EnterMaster(TransitionReason.Forced);
        }
        else if (state == CarpState.Backup)
        {
            _advertDeadline = Unarmed;
            EnterBackup(TransitionReason.Forced);
        }
    }

    /// <summary>Recomputes the advertised skew and demote count; a MASTER advertises a change at once.</summary>
    internal void RefreshDemotion(bool announceChange)
    {
        var oldSkew = AdvertisedSkew;
        var oldDemote = Demote;
        AdvertisedSkew = _node.EffectiveSkew(this);
        Demote = _node.DemoteCount(this);
        if (oldSkew == AdvertisedSkew && oldDemote == Demote)
        {
            return;
        }

        _node.Output.DemotionChanged(this, oldSkew, AdvertisedSkew, oldDemote, Demote);
        if (announceChange && State == CarpState.Master)
        {
            SendAdvertisements();
            ArmAdvert();
        }
    }

    /// <summary>Applies a changed configuration of the same carpdev and vhid.</summary>
    internal void Reconfigure(VirtualHostConfig config)
    {
        var old = Config;
        Config = config;
        (_hasIPv4, _hasIPv6) = (config.HasIPv4, config.HasIPv6);
        if (!ReferenceEquals(old.Key, config.Key) || !old.Addresses.SequenceEqual(config.Addresses) ||
            old.Profile.SignsLinkLocalAddresses != config.Profile.SignsLinkLocalAddresses)
        {
            _hmac.Dispose();
            _hmac = NewHmac(config);
        }

        if (State == CarpState.Master && !old.Addresses.SequenceEqual(config.Addresses))
        {
            var removed = old.Addresses.Except(config.Addresses).ToArray();
            if (removed.Length > 0)
            {
                _node.Output.SetAddresses(this, removed, present: false);
            }

            _node.Output.SetAddresses(this, config.Addresses, present: true);
            _node.Output.Announce(this);
        }

        RefreshDemotion(announceChange: false);
        if (State == CarpState.Master)
        {
            // New timing or addresses reach the peers at once, so a preempting peer need not wait an interval.
            SendAdvertisements();
        }

        SetRun(TransitionReason.Reconfigured);
    }

    /// <summary>Leaves the protocol: a MASTER bows out (advbase/advskew 255) where the profile does, addresses go.</summary>
    internal void Shutdown(TransitionReason reason)
    {
        if (State == CarpState.Master && Profile.BowOut)
        {
            SendAdvertisements(CarpConstants.BowOut, CarpConstants.BowOut);
        }

        EnterInit(reason);
        _removed = true;
    }

    internal void OnSendResult(bool sent)
    {
        SendErrors = sent ? 0 : SendErrors + 1;
        SendSuccesses = sent ? SendSuccesses + 1 : 0;
    }

    /// <summary>Consecutive successful sends; 3 in a row undo a send-error demotion (docs/protocol.md#preemption).</summary>
    internal int SendSuccesses { get; private set; }

    internal bool VerifyHmac(ulong counter, ReadOnlySpan<byte> hmac) => _hmac.Verify(counter, hmac);

    private static CarpHmac NewHmac(VirtualHostConfig config) =>
        new(config.Key, config.Vhid, config.Addresses, sendScoped: config.Profile.SignsLinkLocalAddresses);

    /// <summary>
    /// Our own advert looped back: our last counter from our own address (docs/protocol.md#replay-counter). The address matters:
    /// two backups that adopted the same counter and take over together both send counter + 1.
    /// </summary>
    internal bool IsOwnEcho(ulong counter, ReadOnlySpan<byte> source) =>
        _sentAny && counter == _lastSentCounter && Device.IsOwnAddress(source);

    internal bool Carries(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? _hasIPv6 : _hasIPv4;

    internal bool UsesUnicastPeer(AddressFamily family) =>
        (family == AddressFamily.InterNetworkV6 ? Config.Peer6 : Config.Peer) is not null;

    // ---- Transitions --------------------------------------------------------------------------

    private bool IsUsable(out TransitionReason reason)
    {
        reason = !Device.LinkUp ? TransitionReason.CarpDevDown
            : !_node.Sysctls.Allow ? TransitionReason.NotAllowed
            : Config.Addresses.Count == 0 ? TransitionReason.NoAddress
            : _removed ? TransitionReason.Removed
            : TransitionReason.Started;
        return reason == TransitionReason.Started;
    }

    private void EnterMaster(TransitionReason reason)
    {
        var old = State;
        State = CarpState.Master;
        _masterDownDeadline4 = _masterDownDeadline6 = Unarmed;
        _node.Statistics.Increment(CarpStatistic.Preempt);
        SendAdvertisements();
        _node.Output.SetAddresses(this, Config.Addresses, present: true);
        _node.Output.Announce(this);
        _delayedAnnounce = 2;
        ArmAdvert();
        Changed(old, reason);
    }

    private void EnterBackup(TransitionReason reason)
    {
        var old = State;
        State = CarpState.Backup;
        _advertDeadline = Unarmed;
        _delayedAnnounce = -1;
        if (old != CarpState.Backup)
        {
            _node.Output.SetAddresses(this, Config.Addresses, present: false);
        }

        ArmMasterDown(AddressFamily.Unspecified);
        if (old != CarpState.Backup)
        {
            Changed(old, reason);
        }
    }

    private void EnterInit(TransitionReason reason)
    {
        var old = State;
        State = CarpState.Init;
        _advertDeadline = _masterDownDeadline4 = _masterDownDeadline6 = Unarmed;
        _delayedAnnounce = -1;
        if (old != CarpState.Init)
        {
            _node.Output.SetAddresses(this, Config.Addresses, present: false);
            Changed(old, reason);
        }
    }

    private void Changed(CarpState old, TransitionReason reason)
    {
        Transitions++;
        LastTransition = _node.Time.GetUtcNow();
        LastTransitionReason = reason;
        _node.Output.StateChanged(this, old, State, reason);
    }

    // ---- Timers and adverts -------------------------------------------------------------------

    private void ArmAdvert()
    {
        _advertDeadline = _node.Now + _node.ToTimestamp(CarpTiming.Interval(Config.AdvBase, TimerSkew));
        _node.Schedule(this, _advertDeadline);
    }

    /// <summary>Arms the master-down timer of one family, or of every family the vhost carries.</summary>
    private void ArmMasterDown(AddressFamily family)
    {
        var deadline = _node.Now + _node.ToTimestamp(CarpTiming.MasterDown(Profile.MasterDown, Config.AdvBase, TimerSkew));
        if (family != AddressFamily.InterNetworkV6 && _hasIPv4)
        {
            _masterDownDeadline4 = deadline;
        }

        if (family != AddressFamily.InterNetwork && _hasIPv6)
        {
            _masterDownDeadline6 = deadline;
        }

        _node.Schedule(this, deadline);
    }

    private void SendAdvertisements() => SendAdvertisements(Config.AdvBase, AdvertisedSkew);

    private void SendAdvertisements(byte advBase, byte advSkew)
    {
        _counter = _initCounter ? _node.NextRandomCounter() : unchecked(_counter + 1);
        _lastSentCounter = _counter;
        _sentAny = true;
        _hmac.Compute(_counter, _hmacBuffer);
        CarpHeaderCodec.Write(_header, Config.Vhid, advSkew, Demote, advBase, _counter, _hmacBuffer);

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

    private void Send(AddressFamily family, CarpStatistic counter)
    {
        var sent = _node.Output.SendAdvertisement(this, family, _header);
        _node.Statistics.Increment(sent ? counter : CarpStatistic.ONoMem);
        _node.OnSendResult(this, sent);
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

    public void Dispose() => _hmac.Dispose();

    public override string ToString() => $"{Name} vhid {Vhid} on {Device.Name}: {State}";
}
