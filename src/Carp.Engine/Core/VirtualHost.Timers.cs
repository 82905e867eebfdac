using System.Net.Sockets;

namespace Carp.Engine.Core;

/// <summary>The advert timer of a MASTER and the per-family master-down timers of a BACKUP (docs/protocol.md#states-and-timers).</summary>
public sealed partial class VirtualHost
{
    private const long Unarmed = long.MaxValue;

    private long _advertDeadline = Unarmed;
    private long _masterDownDeadline4 = Unarmed;
    private long _masterDownDeadline6 = Unarmed;

    /// <summary>The earliest armed timer, or null.</summary>
    public long? NextDeadline
    {
        get
        {
            var next = Math.Min(Math.Min(_advertDeadline, _announceDeadline), Math.Min(_masterDownDeadline4, _masterDownDeadline6));
            return next == Unarmed ? null : next;
        }
    }

    /// <summary>The deadline of this host's entry in the node's timer queue, if it has one.</summary>
    internal long? ScheduledAt { get; set; }

    /// <summary>The advskew the timers run on: the configured one, or the advertised one where the demotion style says so.</summary>
    private byte TimerAdvSkew => _demotion.TimersUseAdvertisedAdvSkew ? AdvertisedAdvSkew : Config.AdvSkew;

    /// <summary>True when <paramref name="deadline"/> is this host's advert deadline (a MASTER's next periodic advert).</summary>
    internal bool IsAdvertDeadline(long deadline) => _advertDeadline == deadline;

    /// <summary>
    /// Master-down timers at or before <paramref name="now"/> fire; the advert timer fires at or before
    /// <paramref name="advertHorizon"/> (≥ now: a periodic advert may go out early to share a pass, docs/protocol.md#advert-coalescing).
    /// </summary>
    internal void OnTimer(long now, long advertHorizon)
    {
        if (_masterDownDeadline4 <= now || _masterDownDeadline6 <= now)
        {
            _masterDownDeadline4 = _masterDownDeadline6 = Unarmed;
            if (State == CarpState.Backup && !Suspended)
            {
                EnterMaster(TransitionReason.MasterDown);
            }
        }

        if (_advertDeadline <= advertHorizon)
        {
            _advertDeadline = Unarmed;
            if (State == CarpState.Master)
            {
                SendBatchableAdvertisements();
                ArmAdvert();
            }
        }

        OnAnnounceTimer(now);
        if (NextDeadline is { } next)
        {
            // A MASTER may have its advert and an announcement armed: the one that did not fire stays in the queue.
            _node.Schedule(this, next);
        }
    }

    /// <summary>A BACKUP waiting for master-down starts the wait again from now (<see cref="CarpNode.StartTogether"/>): never shorter.</summary>
    internal void RestartMasterDown()
    {
        if (State == CarpState.Backup && (_masterDownDeadline4 != Unarmed || _masterDownDeadline6 != Unarmed))
        {
            ArmMasterDown(AddressFamily.Unspecified);
        }
    }

    /// <summary>A MASTER's advert interval in microseconds.</summary>
    private long AdvertIntervalMicroseconds => IsVrrp ? VrrpTiming.Interval(Config.Interval) : CarpTiming.Interval(Config.AdvBase, TimerAdvSkew);

    private void ArmAdvert()
    {
        _advertDeadline = _node.Now + _node.ToTimestamp(AdvertIntervalMicroseconds);
        _node.Schedule(this, _advertDeadline);
    }

    /// <summary>Arms the master-down timer of one family, or of every family the vhost carries.</summary>
    private void ArmMasterDown(AddressFamily family) => ArmMasterDown(family, _node.Now);

    /// <summary>Arms master-down for <paramref name="family"/> (both when Unspecified), running from <paramref name="since"/>.</summary>
    private void ArmMasterDown(AddressFamily family, long since)
    {
        // Suspended (maintenance): ArmMasterDownAfter arms nothing, so none can make it MASTER (docs/protocol.md#maintenance).
        ArmMasterDownAfter(IsVrrp
            ? VrrpTiming.MasterDown(Priority, MasterAdverInterval)
            : CarpTiming.MasterDown(Profile.MasterDown, Config.AdvBase, TimerAdvSkew), family, since);
    }

    /// <summary>
    /// Arms the master-down timer of <paramref name="family"/> (or every family carried) <paramref name="microseconds"/> after
    /// <paramref name="since"/> (the arrival of the advert that re-arms it, docs/protocol.md#arrival-time), or after now.
    /// </summary>
    private void ArmMasterDownAfter(long microseconds, AddressFamily family = AddressFamily.Unspecified, long? since = null)
    {
        if (Suspended)
        {
            _masterDownDeadline4 = _masterDownDeadline6 = Unarmed;
            return;
        }

        var deadline = (since ?? _node.Now) + _node.ToTimestamp(microseconds);
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
}
