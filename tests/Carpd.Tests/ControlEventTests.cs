using System.Collections.Concurrent;
using System.Net;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace Carpd.Tests;

/// <summary>Events pushed by carpd to a subscriber, and the end of a subscription.</summary>
public sealed class ControlEventTests : IDisposable
{
    private readonly ControlHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public async Task Events_stream_to_a_subscriber_in_order()
    {
        var received = new ConcurrentQueue<CarpEvent>();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = _h.Client.Subscribe(e =>
        {
            received.Enqueue(e);
            if (received.Count == 3)
            {
                all.TrySetResult();
            }
        });
        await _h.Fake.FirstSubscriber.Task.WaitAsync(ControlHarness.Patience, TestContext.Current.CancellationToken);
        var at = new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.FromHours(2));

        _h.Fake.Raise(new CarpStateChangedEvent
        {
            Timestamp = at, Interface = "carp1", Vhid = 1, OldState = CarpState.Backup, NewState = CarpState.Master,
            Reason = TransitionReason.MasterDown, Peer = IPAddress.Parse("192.0.2.2"),
        });
        _h.Fake.Raise(new CarpDemotionChangedEvent
        {
            Timestamp = at, Interface = "carp1", Vhid = 1, OldAdvSkew = 0, NewAdvSkew = 240, OldDemotion = 0, NewDemotion = 1,
        });
        _h.Fake.Raise(new CarpBadPacketEvent
        {
            Timestamp = at, Interface = "carp2", Vhid = 2, Counter = CarpStatistic.BadAuth, Detail = "HMAC mismatch",
            Source = IPAddress.Parse("2001:db8::7"),
        });
        await all.Task.WaitAsync(ControlHarness.Patience, TestContext.Current.CancellationToken);

        var events = received.ToArray();
        var state = Assert.IsType<CarpStateChangedEvent>(events[0]);
        Assert.Equal(at, state.Timestamp);
        Assert.Equal("carp1", state.Interface);
        Assert.Equal(CarpState.Master, state.NewState);
        Assert.Equal(CarpState.Backup, state.OldState);
        Assert.Equal(TransitionReason.MasterDown, state.Reason);
        Assert.Equal(IPAddress.Parse("192.0.2.2"), state.Peer);
        var demotion = Assert.IsType<CarpDemotionChangedEvent>(events[1]);
        Assert.Equal(240, demotion.NewAdvSkew);
        Assert.Equal(1, demotion.NewDemotion);
        var bad = Assert.IsType<CarpBadPacketEvent>(events[2]);
        Assert.Equal(CarpStatistic.BadAuth, bad.Counter);
        Assert.Equal("HMAC mismatch", bad.Detail);
        Assert.Equal(IPAddress.Parse("2001:db8::7"), bad.Source);
        Assert.Equal(2, bad.Vhid);
    }

    [Fact]
    public async Task Disposing_a_subscription_unsubscribes_in_the_server()
    {
        var subscription = _h.Client.Subscribe(_ => { });
        await _h.Fake.FirstSubscriber.Task.WaitAsync(ControlHarness.Patience, TestContext.Current.CancellationToken);
        Assert.Equal(1, _h.Fake.SubscriberCount);

        subscription.Dispose();

        await ControlHarness.WaitUntil(() => _h.Fake.SubscriberCount == 0);
    }

    [Fact]
    public async Task A_subscriber_is_told_when_carpd_goes_away()
    {
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = _h.Client.Subscribe(_ => { }, _ => closed.TrySetResult());
        await _h.Fake.FirstSubscriber.Task.WaitAsync(ControlHarness.Patience, TestContext.Current.CancellationToken);

        _h.Server.Dispose();

        await closed.Task.WaitAsync(ControlHarness.Patience, TestContext.Current.CancellationToken);
    }
}
