namespace Carp.Engine.Core;

/// <summary>
/// A MASTER's announcements beyond the takeover's pair (docs/protocol.md#announcements): the first burst of
/// <see cref="VirtualHostConfig.AnnounceCount"/> spaced by <see cref="VirtualHostConfig.AnnounceSpacingMs"/>, the periodic
/// refresh, and the answer to another master of the same vhid (docs/protocol.md#split-brain-heal).
/// </summary>
public sealed partial class VirtualHost
{
    private long _announceDeadline = Unarmed;
    private int _burstLeft;
    private long? _lastOtherMasterAnswer;

    /// <summary>Announcements this host has sent: bursts, the delayed one, refreshes and answers to another master.</summary>
    public long Announcements { get; private set; }

    /// <summary>Times this host, as MASTER, heard another master of its vhid that had to yield to it (docs/protocol.md#split-brain-heal).</summary>
    public long OtherMastersSeen { get; private set; }

    internal void CountAnnouncement() => Announcements++;

    /// <summary>The first burst of a new MASTER, right after its addresses were added.</summary>
    private void StartAnnouncements()
    {
        _node.Announce(this);
        _burstLeft = Config.AnnounceCount - 1;
        if (Config.AnnounceSpacingMs == 0)
        {
            for (; _burstLeft > 0; _burstLeft--)
            {
                _node.Announce(this);
            }
        }

        ArmAnnouncement();
    }

    private void StopAnnouncements()
    {
        _announceDeadline = Unarmed;
        _burstLeft = 0;
    }

    /// <summary>The next announcement of the burst, else the next refresh, else none.</summary>
    private void ArmAnnouncement()
    {
        long microseconds = _burstLeft > 0 ? Config.AnnounceSpacingMs * 1_000L : Config.AnnounceRefreshSeconds * 1_000_000L;
        if (microseconds == 0)
        {
            _announceDeadline = Unarmed;
            return;
        }

        _announceDeadline = _node.Now + _node.ToTimestamp(microseconds);
        _node.Schedule(this, _announceDeadline);
    }

    private void OnAnnounceTimer(long now)
    {
        if (_announceDeadline > now)
        {
            return;
        }

        _announceDeadline = Unarmed;
        if (State != CarpState.Master)
        {
            return;
        }

        _node.Announce(this);
        if (_burstLeft > 0)
        {
            _burstLeft--;
        }

        ArmAnnouncement();
    }

    /// <summary>The announcement settings changed while MASTER: what is left of the burst is cut to the new count, the refresh re-armed.</summary>
    private void ReconfigureAnnouncements(VirtualHostConfig old)
    {
        if (State != CarpState.Master || (old.AnnounceCount == Config.AnnounceCount && old.AnnounceSpacingMs == Config.AnnounceSpacingMs &&
            old.AnnounceRefreshSeconds == Config.AnnounceRefreshSeconds))
        {
            return;
        }

        _burstLeft = Math.Min(_burstLeft, Config.AnnounceCount - 1);
        ArmAnnouncement();
    }

    /// <summary>
    /// As MASTER we heard another master of our vhid that must yield to us: a split brain is healing. Its adverts and
    /// announcements may have pulled clients and switches to it, and it takes its addresses away without a word when it
    /// yields, so we advertise at once (it yields sooner) and announce now and again after two adverts
    /// (docs/protocol.md#split-brain-heal). At most once per advert interval, whatever the other sends.
    /// </summary>
    private void AnswerOtherMaster()
    {
        OtherMastersSeen++;
        var now = _node.Now;
        if (_lastOtherMasterAnswer is { } last && now - last < _node.ToTimestamp(AdvertIntervalMicroseconds))
        {
            return;
        }

        _lastOtherMasterAnswer = now;
        SendAdvertisements();
        ArmAdvert();
        _node.Announce(this);
        _delayedAnnounce = 2;
    }
}
