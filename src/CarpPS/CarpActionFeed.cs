using System.Runtime.CompilerServices;
using Carp.Engine.Hosting;

namespace CarpPS;

/// <summary>
/// One engine subscription per service for all the CARP actions bound to it, so that every action sees the service's
/// events in the one order the service delivers them (about_CarpPS_Events, "Order"). With a subscription per action,
/// carpd's events reached each action on a connection and thread of its own, and the actions of one event could be
/// queued after those of the next. The feed calls each registration, in registration order, on the service's event
/// thread; a registration only filters and queues (<see cref="CarpActionDispatcher"/> runs the actions, one at a time).
/// </summary>
internal sealed class CarpActionFeed
{
    private static readonly Lock Gate = new();
    private static readonly ConditionalWeakTable<ICarpService, CarpActionFeed> Feeds = [];

    private readonly ICarpService _service;
    private CarpActionRegistration[] _registrations = [];
    private IDisposable? _subscription;

    private CarpActionFeed(ICarpService service) => _service = service;

    /// <summary>Adds <paramref name="registration"/> to the feed of <paramref name="service"/>, subscribing to it first if needed; throws what the subscription threw.</summary>
    public static void Add(ICarpService service, CarpActionRegistration registration)
    {
        lock (Gate)
        {
            var feed = Feeds.GetValue(service, s => new CarpActionFeed(s));
            feed._subscription ??= service.Subscribe(feed.Deliver);
            feed._registrations = [.. feed._registrations, registration];
        }
    }

    /// <summary>Takes <paramref name="registration"/> off its feed; the last one out ends the subscription.</summary>
    public static void Remove(ICarpService service, CarpActionRegistration registration)
    {
        IDisposable? ended = null;
        lock (Gate)
        {
            if (!Feeds.TryGetValue(service, out var feed))
            {
                return;
            }

            feed._registrations = [.. feed._registrations.Where(r => !ReferenceEquals(r, registration))];
            if (feed._registrations.Length == 0)
            {
                ended = feed._subscription;
                feed._subscription = null;
                Feeds.Remove(service);
            }
        }

        try
        {
            ended?.Dispose();
        }
        catch (ObjectDisposedException)
        {
            // The engine was closed first (Disconnect-CarpService): its subscriptions are gone with it.
        }
    }

    private void Deliver(CarpEvent carpEvent)
    {
        foreach (var registration in Volatile.Read(ref _registrations))
        {
            registration.Offer(carpEvent);
        }
    }
}
