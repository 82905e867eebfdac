using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;
using Microsoft.Extensions.Time.Testing;

namespace Carp.Engine.Tests.Hosting;

/// <summary>
/// The order of a mass takeover's pass on a wire that batches addresses (docs/ARCHITECTURE.md#address-batches): the core
/// hands the addresses over as it takes over, before the pass's adverts leave, so that the wire can add them meanwhile;
/// the announcements of hosts the wire reports added leave while it adds the rest, and each host's only after its own.
/// </summary>
public sealed class TakeoverOrderTests
{
    [Fact]
    public void A_batching_wire_holds_the_addresses_before_the_passs_adverts_leave()
    {
        var wire = new BatchingWire();
        TakeOverTogether(wire, 3);

        var journal = TakeoverPass(wire);
        var held = Held(journal);
        Assert.Equal(3, held.Length);
        var firstAdvert = journal.FindIndex(e => e.StartsWith("advert ", StringComparison.Ordinal));
        Assert.True(journal.FindLastIndex(e => e.StartsWith("hold ", StringComparison.Ordinal)) < firstAdvert, string.Join(", ", journal));
        var flush = journal.IndexOf("flush-begin");
        Assert.True(journal.FindLastIndex(flush, e => e.StartsWith("advert ", StringComparison.Ordinal)) >= firstAdvert + 2, string.Join(", ", journal));
        Assert.True(journal.IndexOf("flush-end") < journal.IndexOf($"garp {AddressOf(held[0])}"), string.Join(", ", journal));
    }

    [Fact]
    public void A_wire_that_does_not_batch_gets_each_address_after_the_passs_adverts()
    {
        var wire = new BatchingWire { Batches = false };
        TakeOverTogether(wire, 2);

        var journal = TakeoverPass(wire);
        Assert.DoesNotContain(journal, e => e.StartsWith("hold ", StringComparison.Ordinal));
        // Both takeover adverts left before the first address was added.
        var firstAdd = journal.FindIndex(e => e.StartsWith("add ", StringComparison.Ordinal));
        Assert.Equal(2, journal.Take(firstAdd).Count(e => e.StartsWith("advert ", StringComparison.Ordinal)));
        Assert.True(firstAdd < journal.FindIndex(e => e.StartsWith("garp ", StringComparison.Ordinal)), string.Join(", ", journal));
    }

    [Fact]
    public void Hosts_the_wire_reports_added_are_announced_while_it_adds_the_rest()
    {
        var wire = new BatchingWire { ReportAddedAt = 2 };
        TakeOverTogether(wire, 3);

        var journal = TakeoverPass(wire);
        var held = Held(journal);
        int At(string entry)
        {
            var index = journal.IndexOf(entry);
            Assert.True(index >= 0, $"no '{entry}' in {string.Join(", ", journal)}");
            return index;
        }

        // The first two hosts held have their gratuitous ARPs leave inside the flush, in order; the third only after it.
        Assert.True(At("flush-begin") < At($"garp {AddressOf(held[0])}"), string.Join(", ", journal));
        Assert.True(At($"garp {AddressOf(held[0])}") < At($"garp {AddressOf(held[1])}"), string.Join(", ", journal));
        Assert.True(At($"garp {AddressOf(held[1])}") < At("flush-end"), string.Join(", ", journal));
        Assert.True(At("flush-end") < At($"garp {AddressOf(held[2])}"), string.Join(", ", journal));
        Assert.Single(journal, e => e == $"garp {AddressOf(held[0])}");
    }

    /// <summary>The journal from the takeover pass on: its first address, held or added (earlier passes had none).</summary>
    private static List<string> TakeoverPass(BatchingWire wire)
    {
        var journal = wire.Journal.ToList();
        var start = journal.FindIndex(e => e.StartsWith("hold ", StringComparison.Ordinal) || e.StartsWith("add ", StringComparison.Ordinal));
        Assert.True(start >= 0, string.Join(", ", journal));
        // The pass's adverts were queued before its first address: start at the first of them.
        while (start > 0 && journal[start - 1].StartsWith("advert ", StringComparison.Ordinal))
        {
            start--;
        }

        return journal[start..];
    }

    private static string[] Held(List<string> journal) =>
        [.. journal.Where(e => e.StartsWith("hold ", StringComparison.Ordinal)).Select(e => e["hold ".Length..])];

    private static string AddressOf(string name) => $"192.0.2.{100 + int.Parse(name["carp".Length..], System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>Creates <paramref name="count"/> vhids together and lets all of them take over in one timer pass.</summary>
    private static void TakeOverTogether(BatchingWire wire, int count)
    {
        var time = new FakeTimeProvider();
        using var service = new CarpService(wire, new CarpServiceOptions { TimeProvider = time });
        service.CreateInterfaces([.. Enumerable.Range(1, count).Select(v => Config(v))]);
        time.Advance(TimeSpan.FromSeconds(3.1));
        LoopTurns.Turn(service);
        Assert.All(service.GetInterfaces(), s => Assert.Equal(CarpState.Master, s.State));
    }

    private static VirtualHostConfig Config(int vhid) => new()
    {
        Name = $"carp{vhid}",
        Vhid = (byte)vhid,
        CarpDev = "eth0",
        Key = CarpKey.FromPassphrase("takeover-order"),
        Addresses = [CarpAddress.Parse($"192.0.2.{100 + vhid}/32")],
    };
}
