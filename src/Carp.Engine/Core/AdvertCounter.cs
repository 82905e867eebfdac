namespace Carp.Engine.Core;

/// <summary>
/// The counter of one virtual host's adverts (docs/protocol.md#replay-counter): adopt-and-increment. Random per advert
/// until a valid advert is heard, then the heard counter plus one; and the check that an advert is our own, looped back.
/// </summary>
internal sealed class AdvertCounter
{
    private bool _adopted;
    private ulong _counter;
    private ulong _lastSent;
    private bool _sentAny;

    /// <summary>A valid advert from another node carried <paramref name="heard"/>.</summary>
    public void Adopt(ulong heard)
    {
        _counter = heard;
        _adopted = true;
    }

    /// <summary>The counter of the next advert sent.</summary>
    public ulong Next(RandomCounterSource random)
    {
        _counter = _adopted ? unchecked(_counter + 1) : random.Next();
        _lastSent = _counter;
        _sentAny = true;
        return _counter;
    }

    /// <summary>True for the counter of our last advert (the source address decides whether it is really ours).</summary>
    public bool IsLastSent(ulong counter) => _sentAny && counter == _lastSent;
}
