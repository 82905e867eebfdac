using System.Net.Sockets;

namespace Carp.Engine.Core;

/// <summary>Entering INIT, BACKUP and MASTER (docs/protocol.md#states-and-timers, docs/protocol.md#transitions).</summary>
public sealed partial class VirtualHost
{
    private bool IsUsable(out TransitionReason reason)
    {
        reason = !Device.LinkUp ? TransitionReason.CarpDevDown
            : !_node.Sysctls.Allow ? TransitionReason.NotAllowed
            : Config.Addresses.Count == 0 ? TransitionReason.NoAddress
            : !CanAdvertise ? TransitionReason.NoSourceAddress
            : TrackerFault ? TransitionReason.TrackerFault
            : _removed ? TransitionReason.Removed
            : TransitionReason.Started;
        return reason == TransitionReason.Started;
    }

    /// <summary>The carpdev has a source address for every family we carry: never MASTER without adverts (docs/protocol.md#source-address).</summary>
    private bool CanAdvertise => (!_hasIPv4 || Device.SourceV4 is not null) && (!_hasIPv6 || Device.SourceV6 is not null);

    /// <summary>Takes over: advertises, takes the addresses and announces them (docs/protocol.md#announce-on-master).</summary>
    private void EnterMaster(TransitionReason reason)
    {
        var old = State;
        State = CarpState.Master;
        _masterDownDeadline4 = _masterDownDeadline6 = Unarmed;
        _node.Statistics.Increment(CarpStatistic.Preempt);
        SendBatchableAdvertisements();
        RefreshAcceptRefused(); // after the takeover advert, before the addresses (docs/protocol.md#vrrp-accept-mode)
        if (_node.AdvertBatch.IsOpen && !_node.Output.HoldsAddresses)
        {
            // The advert waits in the pass's batch: the addresses follow it when it has left (an output that holds addresses
            // takes them now, to add them while the batch is sent: docs/ARCHITECTURE.md#address-batches).
            _node.AdvertBatch.AddTakeover(this);
        }
        else
        {
            TakeAddresses();
        }

        _delayedAnnounce = 2;
        ArmAdvert();
        Changed(old, reason);
    }

    /// <summary>A MASTER's addresses, then their announcement, after its takeover advert (docs/protocol.md#announce-on-master).</summary>
    internal void TakeAddresses()
    {
        if (State != CarpState.Master)
        {
            return; // it left MASTER again in the same pass
        }

        _node.Output.SetAddresses(this, Config.Addresses, present: true);
        StartAnnouncements();
    }

    private void EnterBackup(TransitionReason reason)
    {
        var old = State;
        State = CarpState.Backup;
        _advertDeadline = Unarmed;
        if (IsVrrp && old != CarpState.Backup)
        {
            // RFC 5798 §6.4.1: a backup starts on its own interval until it hears the master's.
            MasterAdverInterval = Config.Interval;
        }

        _delayedAnnounce = -1;
        StopAnnouncements();
        if (old != CarpState.Backup)
        {
            _node.Output.SetAddresses(this, Config.Addresses, present: false);
        }

        RefreshAcceptRefused();
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
        StopAnnouncements();
        if (old != CarpState.Init)
        {
            _node.Output.SetAddresses(this, Config.Addresses, present: false);
            RefreshAcceptRefused();
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
}
