using System.Diagnostics;
using Carp.Linux;

namespace Carp.Network.Tests;

/// <summary>
/// The capture converts the kernel's receive time stamp (wall clock) into the monotonic clock the engine's timers use
/// (docs/protocol.md#arrival-time). Pure arithmetic: no namespace needed.
/// </summary>
public sealed class PacketArrivalTimeTests
{
    private static readonly DateTime Now = new(2026, 11, 30, 12, 0, 0, DateTimeKind.Utc);
    private static readonly long NowSeconds = (Now.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerSecond;
    private const long NowStopwatch = 5_000_000_000_000;

    [Theory]
    [InlineData(0)]
    [InlineData(250)]
    [InlineData(4_000)]
    [InlineData(999_999)]
    public void A_frame_that_arrived_some_microseconds_ago_is_that_much_earlier_on_the_monotonic_clock(long ageMicroseconds)
    {
        long arrival = (NowSeconds * 1_000_000) - ageMicroseconds;

        long result = PacketDevice.ArrivalTimestamp(arrival / 1_000_000, arrival % 1_000_000, NowStopwatch, Now);

        Assert.Equal(NowStopwatch - (long)(ageMicroseconds * (Stopwatch.Frequency / 1e6)), result);
    }

    [Theory]
    [InlineData(-1)]           // a time stamp from the future: the wall clock went back
    [InlineData(1_000_001)]    // older than a second: the wall clock jumped, or the frame sat in a full buffer
    [InlineData(-86_400_000_000)]
    public void A_time_stamp_the_clocks_cannot_explain_counts_as_now(long ageMicroseconds)
    {
        long arrival = (NowSeconds * 1_000_000) - ageMicroseconds;

        Assert.Equal(NowStopwatch, PacketDevice.ArrivalTimestamp(arrival / 1_000_000, arrival % 1_000_000, NowStopwatch, Now));
    }
}

/// <summary>The sender's rehearsal (BENCHMARKS.md#first-takeover) leaves nothing queued and makes no system call.</summary>
public sealed class PacketSenderRehearsalTests
{
    [Fact]
    public void Rehearsing_queues_nothing_and_sends_nothing()
    {
        // No socket is touched by a rehearsal: descriptor 0 would fail any real send.
        using var sender = new PacketSender(0, 1);

        sender.Rehearse();

        Assert.Equal((0, 0L, 0L), (sender.Queued, sender.FramesSent, sender.SystemCalls));
        Assert.Equal(1, sender.Queue(new byte[60]) ? sender.Queued : -1);
    }
}
