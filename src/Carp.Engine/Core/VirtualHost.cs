using System.Net.Sockets;
using Carp.Engine.Core.Demotion;
using Carp.Engine.Protocol;

namespace Carp.Engine.Core;

/// <summary>
/// One CARP virtual host (carpdev, vhid): the state machine of docs/protocol.md#state-machine with its timers. Pure: time
/// comes from the node's <see cref="TimeProvider"/>, effects go to the node's <see cref="ICarpOutput"/>.
/// Only the node's thread calls into it. This file holds its identity and the node's inputs; the election
/// (<c>VirtualHost.Election.cs</c>), the transitions, the timers and the adverts have a file each.
/// </summary>
public sealed partial class VirtualHost : IDisposable
{
    private readonly CarpNode _node;
    private readonly IDemotion _demotion;
    private bool _removed;

    // The address families of the config, kept here because the receive and send paths ask per packet.
    private bool _hasIPv4;
    private bool _hasIPv6;

    internal VirtualHost(CarpNode node, CarpDevice device, VirtualHostConfig config, IDemotion demotion)
    {
        _node = node;
        _demotion = demotion;
        Device = device;
        Config = config;
        _hmac = NewHmac(config);
        AdvertisedAdvSkew = config.AdvSkew;
        Priority = config.Priority;
        (_hasIPv4, _hasIPv6) = (config.HasIPv4, config.HasIPv6);
        ConfigureVrrp(config);
    }

    public VirtualHostConfig Config { get; private set; }

    public CarpDevice Device { get; }

    public string Name => Config.Name;

    public byte Vhid => Config.Vhid;

    public CarpState State { get; private set; } = CarpState.Init;

    /// <summary>The advskew put on the wire and used in comparisons: the configured one after demotion (docs/glossary.md).</summary>
    public byte AdvertisedAdvSkew { get; private set; }

    /// <summary>The OpenBSD demote count put in header byte 4 (docs/protocol.md#demote-byte); 0 outside the OpenBSD style.</summary>
    public byte DemoteCount { get; private set; }

    public long Transitions { get; private set; }

    public DateTimeOffset? LastTransition { get; private set; }

    public TransitionReason? LastTransitionReason { get; private set; }

    private CompatibilityProfile Profile => Config.Profile;

    // ---- Inputs from the node -----------------------------------------------------------------

    /// <summary>(Re)arm timers for the current state, moving INIT → BACKUP when usable (the kernels' setrun).</summary>
    internal void SetRun(TransitionReason reason)
    {
        if (!IsUsable(out var initReason))
        {
            if (State != CarpState.Init)
            {
                EnterInit(initReason);
            }
            else if (initReason == TransitionReason.NoSourceAddress)
            {
                // Held in INIT, not a change: nothing reported, but status says why it does not run.
                LastTransitionReason = initReason;
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

    /// <summary>The carpdev's source addresses changed: start if we can advertise now, stop if we no longer can; a running host runs on undisturbed.</summary>
    internal void SourcesChanged()
    {
        if (State == CarpState.Init || !CanAdvertise)
        {
            SetRun(TransitionReason.Started);
        }
    }

    /// <summary>Administrative state change, like FreeBSD's <c>ifconfig … vhid N state master|backup</c>: the protocol runs on from there.</summary>
    internal void Force(CarpState state)
    {
        if (state == CarpState.Master && Suspended)
        {
            throw CarpRefusals.Suspended(Name);
        }

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

    /// <summary>
    /// Its addresses were taken away while the engine could not run: a MASTER steps down without an advert, since a
    /// backup may have taken over meanwhile; the next adverts decide who is master (docs/ARCHITECTURE.md#address-guardian).
    /// </summary>
    internal void Revoke()
    {
        if (State == CarpState.Master)
        {
            _advertDeadline = Unarmed;
            EnterBackup(TransitionReason.AddressesRevoked);
        }
    }

    /// <summary>
    /// Reads what its demotion owner says it advertises (docs/protocol.md#preemption); a change is reported, and a
    /// MASTER advertises it at once when <paramref name="announceChange"/>.
    /// </summary>
    internal void ApplyDemotion(bool announceChange)
    {
        var oldAdvSkew = AdvertisedAdvSkew;
        var oldDemoteCount = DemoteCount;
        var oldPriority = Priority;
        AdvertisedAdvSkew = _demotion.AdvertisedAdvSkew(Config.AdvSkew);
        DemoteCount = _demotion.DemoteCount;
        Priority = IsVrrp ? TrackedPriority(Config.Priority, _demotion.TrackerDemotion) : Config.Priority;
        if (oldAdvSkew == AdvertisedAdvSkew && oldDemoteCount == DemoteCount && oldPriority == Priority)
        {
            return;
        }

        if (oldAdvSkew != AdvertisedAdvSkew || oldDemoteCount != DemoteCount)
        {
            _node.Output.DemotionChanged(this, oldAdvSkew, AdvertisedAdvSkew, oldDemoteCount, DemoteCount);
        }

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
        if (old.Maintenance != config.Maintenance)
        {
            ChangeMaintenance(config.Maintenance);
        }

        Config = config;
        (_hasIPv4, _hasIPv6) = (config.HasIPv4, config.HasIPv6);
        ConfigureVrrp(config);
        if (!ReferenceEquals(old.Key, config.Key) || !old.Addresses.SequenceEqual(config.Addresses) ||
            old.Profile.SignsLinkLocalAddresses != config.Profile.SignsLinkLocalAddresses)
        {
            _hmac.Dispose();
            _hmac = NewHmac(config);
        }

        RefreshAcceptRefused();
        if (State == CarpState.Master && !old.Addresses.SequenceEqual(config.Addresses))
        {
            var removed = old.Addresses.Except(config.Addresses).ToArray();
            if (removed.Length > 0)
            {
                _node.Output.SetAddresses(this, removed, present: false);
            }

            _node.Output.SetAddresses(this, config.Addresses, present: true);
            _node.Announce(this);
        }

        ApplyDemotion(announceChange: false);
        ReconfigureAnnouncements(old);
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
        if (State == CarpState.Master && SendsBowOut)
        {
            SendAdvertisements(CarpConstants.BowOut, CarpConstants.BowOut);
        }

        EnterInit(reason);
        _removed = true;
    }

    internal bool Carries(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? _hasIPv6 : _hasIPv4;

    internal bool UsesUnicastPeer(AddressFamily family) =>
        (family == AddressFamily.InterNetworkV6 ? Config.Peer6 : Config.Peer) is not null;

    public void Dispose() => _hmac.Dispose();

    public override string ToString() => $"{Name} vhid {Vhid} on {Device.Name}: {State}";
}
