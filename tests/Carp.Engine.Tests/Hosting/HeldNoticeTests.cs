using System.Collections.Concurrent;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;
using Microsoft.Extensions.Time.Testing;

namespace Carp.Engine.Tests.Hosting;

/// <summary>
/// On a wire that batches addresses, a mass takeover's transition notices wait while the next takeover is less than a
/// millisecond away, then all go out in order (docs/ARCHITECTURE.md#address-batches, BENCHMARKS.md#scale).
/// </summary>
public sealed class HeldNoticeTests
{
    [Fact]
    public void Notices_wait_while_another_takeover_is_due_within_a_millisecond_and_then_go_out_in_order()
    {
        var time = new FakeTimeProvider();
        var log = new ConcurrentQueue<string>();
        using var service = new CarpService(new BatchingWire(), new CarpServiceOptions { TimeProvider = time, Log = (_, line) => log.Enqueue(line) });
        service.CreateInterface(Config("carp1", 1, "192.0.2.101/32"));
        time.Advance(TimeSpan.FromMicroseconds(500));
        service.CreateInterface(Config("carp2", 2, "192.0.2.102/32"));

        // carp1's master-down deadline has passed, carp2's is 0.5 ms away: carp1 takes over, its notice waits.
        time.Advance(TimeSpan.FromSeconds(3) - TimeSpan.FromMicroseconds(250));
        LoopTurns.Turn(service);
        Assert.Equal(CarpState.Master, State(service, "carp1"));
        Assert.Equal(CarpState.Backup, State(service, "carp2"));
        Assert.DoesNotContain(log, line => line.Contains("-> Master", StringComparison.Ordinal));

        // carp2 takes over; nothing is due within a millisecond after that pass, so both notices go out, carp1's first.
        time.Advance(TimeSpan.FromMicroseconds(500));
        LoopTurns.Turn(service);
        Assert.Equal(CarpState.Master, State(service, "carp2"));
        Assert.Equal(["carp1: Backup -> Master (MasterDown)", "carp2: Backup -> Master (MasterDown)"],
            log.Where(line => line.Contains("-> Master", StringComparison.Ordinal)).ToArray());
    }

    [Fact]
    public void A_wire_that_does_not_batch_gets_its_notices_after_every_pass()
    {
        var time = new FakeTimeProvider();
        var log = new ConcurrentQueue<string>();
        using var service = new CarpService(new BatchingWire { Batches = false }, new CarpServiceOptions { TimeProvider = time, Log = (_, line) => log.Enqueue(line) });
        service.CreateInterface(Config("carp1", 1, "192.0.2.101/32"));
        time.Advance(TimeSpan.FromMicroseconds(500));
        service.CreateInterface(Config("carp2", 2, "192.0.2.102/32"));

        time.Advance(TimeSpan.FromSeconds(3) - TimeSpan.FromMicroseconds(250));
        LoopTurns.Turn(service);

        Assert.Contains("carp1: Backup -> Master (MasterDown)", log);
    }

    private static VirtualHostConfig Config(string name, byte vhid, string address) => new()
    {
        Name = name,
        Vhid = vhid,
        CarpDev = "eth0",
        Key = CarpKey.FromPassphrase("held-notices"),
        Addresses = [CarpAddress.Parse(address)],
    };

    private static CarpState State(CarpService service, string name) => service.GetInterfaces().Single(s => s.Name == name).State;
}
