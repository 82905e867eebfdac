using Carp.Engine.Core;
using static Carp.Engine.Tests.Core.CoreHarness;

namespace Carp.Engine.Tests.Core;

/// <summary>Announcement bursts, refresh and the answer to another master (docs/protocol.md#announcements, docs/protocol.md#split-brain-heal).</summary>
public sealed class AnnouncementTests
{
    // The harness's backup takes over when master-down expires at 3 s; its adverts follow at 4 s, 5 s, …
    private const double Takeover = 3;

    [Fact]
    public void A_burst_without_spacing_announces_count_times_at_the_takeover()
    {
        using var h = new CoreHarness();
        var host = h.Add(Config() with { AnnounceCount = 3 });
        h.At(Takeover);

        Assert.Equal(CarpState.Master, host.State);
        Assert.Equal(["carp1", "carp1", "carp1"], h.Output.Announcements);
        Assert.Equal(3, host.Announcements);
    }

    [Fact]
    public void A_spaced_burst_announces_at_each_spacing_then_the_delayed_one_follows_two_adverts_later()
    {
        using var h = new CoreHarness();
        var host = h.Add(Config() with { AnnounceCount = 3, AnnounceSpacingMs = 200 });
        h.At(Takeover);
        Assert.Single(h.Output.Announcements);

        h.At(Takeover + 0.199);
        Assert.Single(h.Output.Announcements);
        h.At(Takeover + 0.2);
        Assert.Equal(2, h.Output.Announcements.Count);
        h.RunUntil(Takeover + 0.4);
        Assert.Equal(3, h.Output.Announcements.Count);
        h.RunUntil(Takeover + 1.9);
        Assert.Equal(3, h.Output.Announcements.Count); // the burst is over, no refresh is set

        h.RunUntil(Takeover + 2); // the second advert after the takeover: the kernels' delayed announcement
        Assert.Equal(4, h.Output.Announcements.Count);
        Assert.Equal(4, host.Announcements);
    }

    [Fact]
    public void A_refresh_re_announces_while_master_and_stops_when_it_leaves()
    {
        using var h = new CoreHarness();
        var host = h.Add(Config() with { AnnounceRefreshSeconds = 10 });
        h.At(Takeover);
        h.RunUntil(Takeover + 9.9);
        Assert.Equal(2, h.Output.Announcements.Count); // the takeover's and the delayed one

        h.RunUntil(Takeover + 10);
        Assert.Equal(3, h.Output.Announcements.Count);
        Assert.Equal(CarpState.Master, host.State);
        h.RunUntil(Takeover + 20);
        Assert.Equal(4, h.Output.Announcements.Count);

        h.Node.Force("carp1", CarpState.Backup);
        h.Output.Clear();
        h.Receive(Packets.V4(Packets.Header(counter: 1))); // a master is heard, so this host stays BACKUP
        h.RunUntil(Takeover + 21.5);
        Assert.Equal(CarpState.Backup, host.State);
        h.Receive(Packets.V4(Packets.Header(counter: 2)));
        h.RunUntil(Takeover + 24);
        Assert.Equal(CarpState.Backup, host.State);
        h.Receive(Packets.V4(Packets.Header(counter: 3)));
        h.RunUntil(Takeover + 26.5);
        Assert.Equal(CarpState.Backup, host.State);
        Assert.Empty(h.Output.Announcements);
    }

    [Fact]
    public void Setting_a_refresh_on_a_master_arms_it_from_now_and_clearing_it_stops_it()
    {
        using var h = new CoreHarness();
        var host = h.Add(Config());
        h.RunUntil(Takeover + 3);
        h.Output.Clear();

        h.Node.UpdateVirtualHost("carp1", host.Config with { AnnounceRefreshSeconds = 5 });
        h.Output.Clear();
        h.RunUntil(Takeover + 7.9);
        Assert.Empty(h.Output.Announcements);
        h.RunUntil(Takeover + 8);
        Assert.Single(h.Output.Announcements);

        h.Node.UpdateVirtualHost("carp1", host.Config with { AnnounceRefreshSeconds = 0 });
        h.Output.Clear();
        h.RunUntil(Takeover + 30);
        Assert.Empty(h.Output.Announcements);
        Assert.Equal(CarpState.Master, host.State);
    }

    [Fact]
    public void A_master_that_hears_a_slower_master_advertises_and_announces_at_once_and_again_two_adverts_later()
    {
        using var h = new CoreHarness();
        var host = h.Add(Config());
        h.At(Takeover);
        h.At(Takeover + 0.5);
        h.Output.Clear();

        h.Receive(Packets.V4(Packets.Header(advSkew: 100))); // the other side of a healed split brain
        Assert.Equal(CarpState.Master, host.State);
        Assert.Single(h.Output.Sent);
        Assert.Equal(0, h.Output.Sent[0].AdvSkew);
        Assert.Single(h.Output.Announcements);
        Assert.Equal(1, host.OtherMastersSeen);

        // Its next advert within our interval gets no second answer.
        h.Receive(Packets.V4(Packets.Header(advSkew: 100, counter: 0x0102030405060709)));
        Assert.Single(h.Output.Sent);
        Assert.Single(h.Output.Announcements);
        Assert.Equal(2, host.OtherMastersSeen);

        // The answer re-armed the advert timer: the periodic adverts run from it, and the second one repeats the announcement.
        h.RunUntil(Takeover + 0.5 + 0.95); // (an advert may leave up to 20 ms early, docs/protocol.md#advert-coalescing)
        Assert.Single(h.Output.Sent);
        h.RunUntil(Takeover + 0.5 + 2);
        Assert.Equal(3, h.Output.Sent.Count);
        Assert.Equal(2, h.Output.Announcements.Count);
    }

    [Fact]
    public void A_master_that_yields_does_not_answer_and_sends_its_last_advert_to_the_winner_alone()
    {
        using var h = new CoreHarness();
        var host = h.Add(Config(advSkew: 50));
        h.RunUntil(Takeover + 0.5);
        Assert.Equal(CarpState.Master, host.State);
        h.Output.Clear();

        h.Receive(Packets.V4(Packets.Header(advSkew: 0)));
        Assert.Equal(CarpState.Backup, host.State);
        Assert.Empty(h.Output.Sent);
        var lastWord = Assert.Single(h.Output.SentTo);
        Assert.Equal((Packets.PeerMac, (byte)50), (lastWord.To, lastWord.Advert.AdvSkew));
        Assert.Empty(h.Output.Announcements);
        Assert.Equal(0, host.OtherMastersSeen);
    }

    [Fact]
    public void A_master_that_yields_when_its_delayed_announcement_is_due_does_not_announce_with_its_last_word()
    {
        using var h = new CoreHarness();
        var host = h.Add(Config(advSkew: 50));
        h.RunUntil(Takeover + 1.5); // MASTER since ~3.2 s, one advert since: the delayed announcement rides on the next one
        Assert.Equal(CarpState.Master, host.State);
        h.Output.Clear();

        h.Receive(Packets.V4(Packets.Header(advSkew: 0)));

        Assert.Equal(CarpState.Backup, host.State);
        Assert.Single(h.Output.SentTo);
        Assert.Empty(h.Output.Announcements);
    }

    [Fact]
    public void A_vrrp_master_that_hears_a_lower_priority_master_answers_it()
    {
        using var h = new CoreHarness();
        var host = h.Add(VrrpPackets.Config(priority: 200, interval: 10));
        h.RunUntil(1);
        Assert.Equal(CarpState.Master, host.State);
        h.Output.Clear();

        h.Receive(VrrpPackets.V4(priority: 100, interval: 10));
        Assert.Equal(CarpState.Master, host.State);
        var sent = Assert.Single(h.Output.Sent);
        Assert.Equal(200, VrrpPackets.Read(sent).Priority);
        Assert.Single(h.Output.Announcements);
        Assert.Equal(1, host.OtherMastersSeen);
    }

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(101, 0, 0)]
    [InlineData(1, 10_001, 0)]
    [InlineData(1, 0, 86_401)]
    public void Announcement_settings_out_of_range_are_refused(int count, int spacingMs, int refreshSeconds)
    {
        var config = Config() with { AnnounceCount = (byte)count, AnnounceSpacingMs = (ushort)spacingMs, AnnounceRefreshSeconds = refreshSeconds };
        var refusal = Assert.Throws<CarpException>(config.Validate);
        Assert.Equal(CarpErrorCode.InvalidArgument, refusal.Code);
        Assert.Contains("announce", refusal.Message, StringComparison.Ordinal);
    }
}
