using System.Net;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;
using Carp.Network.Tests.Faults;

namespace Carp.Network.Tests.Scenarios;

/// <summary>
/// Announcements seen on the bridge (docs/protocol.md#announcements, docs/protocol.md#split-brain-heal): a takeover's spaced
/// burst and the periodic refresh; and after a split brain heals, the remaining master pulls the clients back, so that no
/// client is left with the MAC of the node that yielded.
/// </summary>
public sealed class AnnouncementScenarios
{
    private const string Vip = "192.0.2.1";
    private const string Vip6 = "2001:db8::1";

    private static VirtualHostConfig Config(byte advSkew, MacMode macMode = MacMode.Virtual) => new()
    {
        Name = "carp1",
        Vhid = 1,
        CarpDev = "eth0",
        AdvSkew = advSkew,
        Key = CarpKey.FromPassphrase("foobar"),
        Addresses = [CarpAddress.Parse(Vip + "/24"), CarpAddress.Parse(Vip6 + "/64")],
        MacMode = macMode,
    };

    private static bool IsGarp(UnicastFrame f) => f.Kind == UnicastFrame.Arp && Equals(f.Source, IPAddress.Parse(Vip)) && Equals(f.Destination, IPAddress.Parse(Vip));

    // ICMPv6 type 136: a neighbour advertisement, from the VIP (docs/protocol.md#announce-on-master).
    private static bool IsNa(UnicastFrame f) => f.Kind == UnicastFrame.Icmp && f.Type == 136 && Equals(f.Source, IPAddress.Parse(Vip6));

    [Fact]
    public void A_takeover_sends_a_spaced_burst_then_refreshes_while_master()
    {
        using var s = new Scenario(nodes: 1);
        var frames = UnicastFrame.Watch(s, s.Bridge, s.Node(1).BridgePort);
        var a = s.Engine("A", s.Node(1).Namespace);
        a.Create(Config(0) with { AnnounceCount = 3, AnnounceSpacingMs = 150, AnnounceRefreshSeconds = 1 });
        var master = a.WaitState(CarpState.Master, TimeSpan.FromSeconds(8));

        // Burst: 3 at 0, 150, 300 ms; refresh 1 s after the burst's last (1.3, 2.3, 3.3 s); the delayed one ~2 s after the takeover.
        long since = master.At - Clock.Ticks(TimeSpan.FromMilliseconds(50));
        long from = since;
        for (int i = 1; i <= 6; i++)
        {
            from = frames.Wait(IsGarp, TimeSpan.FromSeconds(3), $"announcement {i}", from).At + 1;
        }

        var garps = frames.All(IsGarp, since);
        var times = garps.Select(g => Clock.Ms(garps[0].At, g.At)).ToArray();
        s.Measure($"announcements after the takeover (ms): {string.Join(", ", times.Select(t => t.ToString("0")))}");

        Assert.InRange(times[1], 120, 400);
        Assert.InRange(times[2] - times[1], 120, 400);
        Assert.True(times[3] - times[2] >= 800, $"the burst had more than 3: {string.Join(", ", times)}");
        // After the burst: the refresh every second, plus the delayed announcement two adverts after the takeover.
        var after = times.Where(t => t > times[2] + 100 && t <= times[2] + 3200).ToArray();
        Assert.InRange(after.Length, 3, 5);
        Assert.Equal(3, frames.All(IsNa, since).Count(n => Clock.Ms(garps[0].At, n.At) < times[2] + 100));
        Assert.True(a.Status().Announcements >= 6, $"Announcements = {a.Status().Announcements}");
    }

    /// <summary>
    /// Both orders of a heal: B's advert reaches A first (A answers it), or A's reaches B first (B yields, and its last advert,
    /// sent to A's MAC alone, makes A answer). A advertises every 1 s and B every 1.5 s (advskew 128), so the heal can be
    /// timed: right after B's advert, A's is the first to cross; right after A's, when B's next is due well before A's, B's.
    /// </summary>
    [Theory]
    [InlineData(true, MacMode.Real)]
    [InlineData(false, MacMode.Real)]
    [InlineData(false, MacMode.Virtual)]
    [InlineData(true, MacMode.Virtual)]
    public void After_a_split_brain_heals_the_remaining_master_pulls_the_clients_back(bool loserSpeaksFirst, MacMode macMode)
    {
        using var s = new Scenario();
        var preempt = CarpSysctls.Default with { Preempt = true };
        var a = s.Engine("A", s.Node(1).Namespace, preempt);
        a.Create(Config(0, macMode));
        a.WaitState(CarpState.Master, TimeSpan.FromSeconds(8));
        var b = s.Engine("B", s.Node(2).Namespace, preempt);
        b.Create(Config(128, macMode));
        Assert.True(Scenario.Eventually(() => b.Stats.IPackets >= 2, TimeSpan.FromSeconds(5)), "B heard no advert of A");
        string macA = Mac(s, s.Node(1).Namespace), macB = Mac(s, s.Node(2).Namespace);
        var fromA = UnicastFrame.Watch(s, s.Bridge, s.Node(1).BridgePort);
        var fromB = UnicastFrame.Watch(s, s.Bridge, s.Node(2).BridgePort);

        // The two firewalls lose each other; the client (the bridge's own address) still reaches both.
        long split = Clock.Now;
        var partition = BridgeFilter.Partition(s, "split", s.Node(1), s.Node(2));
        b.WaitState(CarpState.Master, TimeSpan.FromSeconds(8), split);
        const string virtualMac = "00:00:5e:00:01:01";
        if (macMode == MacMode.Real)
        {
            Assert.True(Scenario.Eventually(() => ClientMac(s) == macB, TimeSpan.FromSeconds(3)), $"the client did not follow B's announcement: {ClientMac(s)}");
        }
        else
        {
            // One virtual MAC: the switch (the bridge) follows whichever master sent last; B's takeover took it to B's port.
            Assert.True(Scenario.Eventually(() => BridgePortOf(s, virtualMac) == s.Node(2).BridgePort, TimeSpan.FromSeconds(3)), "the bridge did not learn B's virtual MAC");
        }

        Assert.Equal(CarpState.Master, a.State());

        static bool Multicast(UnicastFrame f) => f.Kind == UnicastFrame.Carp && f.IsMulticastDestination && f.Source is { AddressFamily: System.Net.Sockets.AddressFamily.InterNetwork };
        if (loserSpeaksFirst)
        {
            // After one of A's adverts, B's next (1.5 s after its last) must be due 150 ms after now at the earliest (the heal
            // takes a few ms) and before A's next: the phases of 1 s and 1.5 s line up so within a few of A's adverts.
            for (int attempt = 0; ; attempt++)
            {
                fromA.Wait(Multicast, TimeSpan.FromSeconds(3), "an advert of A", Clock.Now);
                var lastB = fromB.Last(Multicast) ?? throw new InvalidOperationException("no advert of B captured");
                double dueInMs = Clock.Ms(Clock.Now, Clock.After(lastB.At, TimeSpan.FromSeconds(1.5)));
                if (dueInMs is > 150 and < 850)
                {
                    break;
                }

                Assert.True(attempt < 10, "the advert phases of A and B never left room for B's advert to cross first");
            }
        }
        else
        {
            fromB.Wait(Multicast, TimeSpan.FromSeconds(3), "an advert of B", Clock.Now);
        }

        long healed = Clock.Now;
        partition.Dispose();
        var backup = b.WaitState(CarpState.Backup, TimeSpan.FromSeconds(4), healed);
        Assert.Equal(TransitionReason.MoreFrequentMaster, backup.Item.Reason);
        var answer = fromA.Wait(IsGarp, TimeSpan.FromSeconds(3), "A's announcement after the heal", healed);
        var winnerMac = macMode == MacMode.Real ? macA : virtualMac;
        bool lastWord(UnicastFrame f) => f.Kind == UnicastFrame.Carp && string.Equals(f.DestinationMac.ToString(), winnerMac.Replace(":", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase) &&
            string.Equals(f.SourceMac.ToString(), macB.Replace(":", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
        var word = fromB.Wait(lastWord, TimeSpan.FromSeconds(2), "B's last advert, to A's MAC", healed);
        // Loser first: A answers B's advert (its announcement), then B yields on A's answering advert and sends its last word.
        // Winner first: B yields on A's periodic advert, and A answers B's last word.
        s.Measure($"split brain healed ({(loserSpeaksFirst ? "B's advert crossed first" : "A's advert crossed first")}, {macMode} MAC): B BACKUP {Clock.Ms(healed, backup.At):0} ms, " +
                  $"its last word {Clock.Ms(healed, word.At):0} ms, A's announcement {Clock.Ms(healed, answer.At):0} ms after the heal");
        if (loserSpeaksFirst)
        {
            // Two captures (A's port, B's port) stamp the frames: within a millisecond their order is not the wire's.
            Assert.True(answer.At < word.At + Clock.Ticks(TimeSpan.FromMilliseconds(2)), "B's advert crossed first, so A answered before B's last word");
        }
        else
        {
            Assert.True(word.At <= answer.At, "A's advert crossed first, so A answered B's last word");
        }

        Assert.Equal(CarpState.Master, a.State());
        Assert.True(a.Status().OtherMastersSeen >= 1);
        if (macMode == MacMode.Real)
        {
            Assert.True(Scenario.Eventually(() => ClientMac(s) == macA, TimeSpan.FromSeconds(4)), $"the client still has {ClientMac(s)} (B is {macB}) for the VIP");
        }
        else
        {
            // The last word left from B's own MAC, so it moves nothing; a frame B sent from the virtual MAC before it yielded (the
            // other family's advert) may have; A's next advert, at most one interval later, takes the virtual MAC back for good.
            Assert.True(Scenario.Eventually(() => BridgePortOf(s, virtualMac) == s.Node(1).BridgePort, TimeSpan.FromSeconds(1.5)),
                $"the bridge has the virtual MAC on {BridgePortOf(s, virtualMac)}");
            Assert.Equal(virtualMac, ClientMac(s));
        }

        Assert.Empty(s.InterfacesWith(b.Namespace, Vip));
    }

    /// <summary>The bridge port the bridge has learnt <paramref name="mac"/> on, or null.</summary>
    private static string? BridgePortOf(Scenario s, string mac) =>
        s.Exec(s.Bridge, "bridge", "fdb", "show", "br", "br0").StandardOutput.Split('\n')
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .FirstOrDefault(w => w.Length >= 3 && string.Equals(w[0], mac, StringComparison.OrdinalIgnoreCase) && w[1] == "dev")?[2];

    private static string Mac(Scenario s, string ns) =>
        s.Net.Ip("-n", ns, "-br", "link", "show", "eth0").StandardOutput.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2];

    /// <summary>The MAC the client has for the VIP after one ping (the ping creates the entry where there is none).</summary>
    private static string ClientMac(Scenario s)
    {
        s.Exec(s.Bridge, "ping", "-c", "1", "-W", "1", Vip);
        var line = s.Net.Ip("-n", s.Bridge, "neigh", "show", Vip, "dev", "br0").StandardOutput.Trim();
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int at = Array.IndexOf(words, "lladdr");
        return at >= 0 && at + 1 < words.Length ? words[at + 1] : line;
    }
}
