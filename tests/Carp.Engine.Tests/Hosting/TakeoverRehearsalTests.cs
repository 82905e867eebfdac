using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;

namespace Carp.Engine.Tests.Hosting;

/// <summary>The rehearsal a service runs on its engine thread as it starts (BENCHMARKS.md#first-takeover) leaves nothing behind.</summary>
public class TakeoverRehearsalTests
{
    [Fact]
    public void A_rehearsing_service_starts_with_no_frame_on_the_lan_and_untouched_counters()
    {
        var device = "simr" + Guid.NewGuid().ToString("N")[..6];
        using var listener = CarpServices.CreateInMemory(device);
        listener.CreateInterface(new VirtualHostConfig
        {
            Name = "carp1", Vhid = 1, CarpDev = device, AdvBase = 1, AdvSkew = 200,
            Key = CarpKey.FromPassphrase("rehearsal"), Addresses = [CarpAddress.Parse("192.0.2.100/24")],
        });
        var before = listener.GetStatistics();
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();

        using var rehearsing = CarpServices.CreateInMemory(new CarpServiceOptions { RehearseTakeover = true, Log = (_, line) => log.Enqueue(line) }, [device]);
        Assert.Empty(rehearsing.GetInterfaces());
        // It ran through the service's own output, whose transitions and announcements log and publish: none of it did.
        Assert.DoesNotContain(log, line => line.Contains("rehearsal", StringComparison.Ordinal));
        Assert.Equal(0, rehearsing.GetStatistics().OPackets);
        Assert.Equal(0, rehearsing.GetStatistics().OPackets6);

        // The listener on the same simulated segment heard nothing of the rehearsal's 64 takeovers.
        var after = listener.GetStatistics();
        Assert.Equal(before.IPackets, after.IPackets);
        Assert.Equal(before.IPackets6, after.IPackets6);
        Assert.Equal(CarpState.Backup, listener.GetInterfaces().Single().State);
    }

    [Fact]
    public void The_rehearsal_runs_its_takeovers_to_completion()
    {
        // Run directly: 64 takeovers and as many returns on a private node; throws if any step fails.
        var output = new Core.RecordingOutput();
        var passes = 0;
        TakeoverRehearsal.Run(output, node =>
        {
            passes++;
            node.RunDueTimers();
        });

        Assert.True(TakeoverRehearsal.Takeovers > 30, "more takeovers than the tiered compiler's call-count threshold");
        Assert.Equal(2 * TakeoverRehearsal.Takeovers, passes);
        // A CARP host and a VRRPv3 host, each taking over every time.
        Assert.Equal(TakeoverRehearsal.Takeovers, output.StateChanges.Count(c => c is { Host: "rehearsal", To: CarpState.Master, Reason: TransitionReason.MasterDown }));
        Assert.Equal(TakeoverRehearsal.Takeovers, output.StateChanges.Count(c => c is { Host: "rehearsal-vrrp", To: CarpState.Master, Reason: TransitionReason.MasterDown }));
        // Each takeover: an advert per family (CARP: two, VRRP: one); each periodic pass: another. Both end as BACKUP, so
        // their removal sends no bow-out (CARP) and no priority 0 (VRRP).
        Assert.Equal(4 * TakeoverRehearsal.Takeovers, output.Sent.Count(s => s.Host == "rehearsal"));
        Assert.Equal(2 * TakeoverRehearsal.Takeovers, output.Sent.Count(s => s.Host == "rehearsal-vrrp"));
        Assert.All(output.StateChanges.TakeLast(2), c => Assert.Equal(CarpState.Init, c.To));
    }
}
