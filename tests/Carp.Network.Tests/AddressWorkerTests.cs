using System.Collections.Concurrent;
using Carp.Linux;
using Carp.Network.Tests.Scenarios;

namespace Carp.Network.Tests;

/// <summary>
/// The second thread of a mass takeover's address batch (docs/ARCHITECTURE.md#address-batches): it works through what
/// the engine publishes, each item once and in order, and the engine's wait for the end hears its progress.
/// </summary>
public sealed class AddressWorkerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public void Items_published_one_by_one_are_each_worked_once_in_order_and_Finish_returns_after_the_last()
    {
        var runs = new ConcurrentQueue<(int From, int To)>();
        using var worker = new AddressWorker((from, to) => runs.Enqueue((from, to)), "test-worker");
        for (var count = 1; count <= 200; count++)
        {
            worker.Publish(count);
        }

        worker.Finish();
        Assert.False(worker.Running);
        var all = runs.ToArray();
        Assert.Equal(0, all[0].From);
        Assert.Equal(200, all[^1].To);
        Assert.All(all.Zip(all.Skip(1)), pair => Assert.Equal(pair.First.To, pair.Second.From));
        Assert.All(all, run => Assert.InRange(run.To - run.From, 1, 32));
    }

    [Fact]
    public void The_wait_for_the_end_hears_how_many_are_done_while_the_worker_still_works()
    {
        using var firstRunMayEnd = new ManualResetEventSlim();
        using var secondRunMayEnd = new ManualResetEventSlim();
        var calls = 0;
        using var worker = new AddressWorker((_, _) =>
        {
            // The first run ends once the owner waits; the second once the owner has heard of the first.
            var gate = Interlocked.Increment(ref calls) == 1 ? firstRunMayEnd : secondRunMayEnd;
            Assert.True(gate.Wait(Patience));
        }, "test-worker");

        worker.Publish(10);
        Assert.True(Scenario.Eventually(() => Volatile.Read(ref calls) == 1, Patience), "the worker did not take the first run");
        worker.Publish(30);
        var heard = new List<int>();
        firstRunMayEnd.Set();
        worker.Finish(done =>
        {
            heard.Add(done);
            secondRunMayEnd.Set();
        });

        Assert.Equal([10], heard);
        Assert.Equal(2, calls);
    }

    [Fact]
    public void A_failed_run_is_thrown_at_the_end_the_rest_is_not_worked_and_the_next_batch_starts_afresh()
    {
        var runs = new ConcurrentQueue<(int From, int To)>();
        var fail = true;
        using var worker = new AddressWorker((from, to) =>
        {
            runs.Enqueue((from, to));
            if (Volatile.Read(ref fail))
            {
                throw new InvalidOperationException("netlink socket closed");
            }
        }, "test-worker");

        worker.Publish(5);
        Assert.True(Scenario.Eventually(() => !runs.IsEmpty, Patience), "the worker did not take the first run");
        worker.Publish(40);
        var error = Assert.Throws<InvalidOperationException>(() => worker.Finish());
        Assert.Equal("netlink socket closed", error.Message);
        Assert.Single(runs);

        Volatile.Write(ref fail, false);
        runs.Clear();
        worker.Publish(3);
        worker.Finish();
        Assert.Equal([(0, 3)], runs.ToArray());
    }

    [Fact]
    public void A_worker_that_parked_for_want_of_work_takes_what_is_published_later()
    {
        var worked = 0;
        using var worker = new AddressWorker((from, to) => Interlocked.Add(ref worked, to - from), "test-worker");
        worker.Publish(1);
        Assert.True(Scenario.Eventually(() => worker.Parked, Patience), "the worker never parked");

        worker.Publish(2);
        worker.Finish();
        Assert.Equal(2, Volatile.Read(ref worked));
    }
}
