using System.Text.Json;
using Carp.Control;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carpd.Configuration;

namespace Carpd.Tests;

/// <summary>announcecount, announcespacing and announcerefresh (docs/protocol.md#announcements) in carpd's file and on its socket.</summary>
public sealed class AnnounceConfigurationTests
{
    [Fact]
    public void Parses_the_announcement_words_writes_them_back_and_describes_them()
    {
        var config = CarpdConfiguration.Parse(
            "carp1 vhid 1 carpdev eth0 pass x announcecount 3 announcespacing 200 announcerefresh 60 192.0.2.1/24\ncarp2 vhid 2 carpdev eth0 198.51.100.1/24",
            "test.conf", "/");

        var carp1 = config.Find("carp1")!;
        Assert.Equal(((byte)3, (ushort)200, 60), (carp1.AnnounceCount, carp1.AnnounceSpacingMs, carp1.AnnounceRefreshSeconds));
        var carp2 = config.Find("carp2")!;
        Assert.Equal(((byte)1, (ushort)0, 0), (carp2.AnnounceCount, carp2.AnnounceSpacingMs, carp2.AnnounceRefreshSeconds));

        var written = config.Format();
        Assert.Contains("announcecount 3 announcespacing 200 announcerefresh 60", written, StringComparison.Ordinal);
        Assert.DoesNotContain("carp2 vhid 2 carpdev eth0 announce", written, StringComparison.Ordinal); // defaults are not written
        var again = CarpdConfiguration.Parse(written, "again.conf", "/").Find("carp1")!;
        Assert.Equal((carp1.AnnounceCount, carp1.AnnounceSpacingMs, carp1.AnnounceRefreshSeconds), (again.AnnounceCount, again.AnnounceSpacingMs, again.AnnounceRefreshSeconds));
        Assert.Contains(config.Describe(), l => l.Contains("carp1:", StringComparison.Ordinal) && l.Contains("announce 3x every 200 ms refresh 60 s", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("announcecount 0", "announcecount must be a number from 1 to 100")]
    [InlineData("announcecount 101", "announcecount must be a number from 1 to 100")]
    [InlineData("announcespacing 10001", "announcespacing must be a number of milliseconds")]
    [InlineData("announcespacing -1", "announcespacing must be a number of milliseconds")]
    [InlineData("announcerefresh 86401", "announcerefresh must be a number of seconds")]
    [InlineData("announcerefresh 1m", "announcerefresh must be a number of seconds")]
    public void Bad_values_are_refused_naming_the_line(string words, string fragment)
    {
        var error = Assert.Throws<CarpdConfigurationException>(() =>
            CarpdConfiguration.Parse($"# comment\ncarp1 vhid 1 carpdev eth0 pass s3cret {words} 192.0.2.1/24", "test.conf", "/"));

        Assert.Equal(CarpErrorCode.InvalidArgument, error.Code);
        Assert.Equal(2, error.Line);
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", error.Message + error.RecommendedAction, StringComparison.Ordinal);
    }

    [Fact]
    public void A_reload_changes_only_the_announcement_settings_in_place()
    {
        var running = CarpdConfiguration.Parse("carp1 vhid 1 carpdev eth0 192.0.2.1/24", "a.conf", "/").Find("carp1")!;
        var wanted = CarpdConfiguration.Parse("carp1 vhid 1 carpdev eth0 announcerefresh 30 192.0.2.1/24", "b.conf", "/").Find("carp1")!;

        var change = ConfigurationDiff.ChangeBetween(running, wanted)!;

        Assert.Equal(30, change.AnnounceRefreshSeconds);
        Assert.Null(change.AnnounceCount);
        Assert.Null(change.AnnounceSpacingMs);
        Assert.Null(change.AdvSkew);
        var applied = change.ApplyTo(running);
        Assert.Equal((wanted.AnnounceCount, wanted.AnnounceSpacingMs, wanted.AnnounceRefreshSeconds, wanted.AdvSkew),
            (applied.AnnounceCount, applied.AnnounceSpacingMs, applied.AnnounceRefreshSeconds, applied.AdvSkew));
    }

    [Fact]
    public void The_settings_and_counters_cross_the_control_socket_and_bad_values_are_refused()
    {
        var config = CarpdConfiguration.Parse("carp1 vhid 1 carpdev eth0 announcecount 4 announcespacing 50 announcerefresh 5 192.0.2.1/24", "t.conf", "/").Find("carp1")!;
        var json = JsonSerializer.Serialize(ControlMapper.ToDto(config), CarpdJsonContext.Default.InterfaceConfigDto);
        var back = ControlMapper.FromDto(JsonSerializer.Deserialize(json, CarpdJsonContext.Default.InterfaceConfigDto)!);
        Assert.Equal((config.AnnounceCount, config.AnnounceSpacingMs, config.AnnounceRefreshSeconds), (back.AnnounceCount, back.AnnounceSpacingMs, back.AnnounceRefreshSeconds));

        var status = VirtualHostStatus.Of(config, CarpState.Master) with { Announcements = 12, OtherMastersSeen = 3 };
        var statusJson = JsonSerializer.Serialize(ControlMapper.ToDto(status), CarpdJsonContext.Default.InterfaceStatusDto);
        var statusBack = ControlMapper.FromDto(JsonSerializer.Deserialize(statusJson, CarpdJsonContext.Default.InterfaceStatusDto)!);
        Assert.Equal((status.AnnounceCount, status.AnnounceSpacingMs, status.AnnounceRefreshSeconds, 12L, 3L),
            (statusBack.AnnounceCount, statusBack.AnnounceSpacingMs, statusBack.AnnounceRefreshSeconds, statusBack.Announcements, statusBack.OtherMastersSeen));

        var bad = JsonSerializer.Deserialize("""{"name":"carp1","announceCount":0}""", CarpdJsonContext.Default.InterfaceChangeDto)!;
        var refusal = Assert.Throws<CarpException>(() => ControlMapper.FromDto(bad));
        Assert.Equal(CarpErrorCode.InvalidArgument, refusal.Code);
    }
}
