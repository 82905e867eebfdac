using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Linux;

namespace Carp.Network.Tests.Scenarios;

/// <summary>
/// A capture in the bridge namespace on one node's bridge port: every CARP advert that node puts
/// on the wire, time-stamped on arrival (immediate mode: well under a millisecond after sending).
/// </summary>
internal sealed class AdvertWatch : IDisposable
{
    private readonly PacketDevice _device;

    private AdvertWatch(PacketDevice device, Recorder<Advert> adverts)
    {
        _device = device;
        Adverts = adverts;
    }

    public Recorder<Advert> Adverts { get; }

    public static AdvertWatch Start(Scenario scenario, string port, string label)
    {
        var adverts = new Recorder<Advert>("adverts at " + port);
        var device = CaptureDevice.Start(scenario.Bridge, port, "inbound and (ip proto 112 or ip6 proto 112)", frame =>
        {
            if (Advert.Parse(frame) is { } advert)
            {
                adverts.Add(advert);
            }
        });
        scenario.Log("watch", $"capturing adverts of {label} at {port}");
        return new AdvertWatch(device, adverts);
    }

    /// <summary>Waits until <paramref name="count"/> adverts matching <paramref name="match"/> were seen since <paramref name="since"/>.</summary>
    public Stamped<Advert> WaitCount(int count, TimeSpan timeout, long since, Func<Advert, bool>? match = null)
    {
        match ??= _ => true;
        Stamped<Advert> last = default;
        long from = since;
        for (int i = 0; i < count; i++)
        {
            last = Adverts.Wait(match, timeout, $"advert {i + 1} of {count}", from);
            from = last.At + 1;
        }

        return last;
    }

    public void Dispose() => _device.Dispose();
}
