using System.Net.Sockets;
using Carp.Engine.Core;

namespace Carp.Benchmarks;

/// <summary>An <see cref="ICarpOutput"/> that does nothing except count sends, so the benchmarks measure the engine alone.</summary>
internal sealed class NullOutput : ICarpOutput
{
    public long Sent { get; private set; }

    public long StateChanges { get; private set; }

    public bool SendAdvertisement(VirtualHost host, AddressFamily family, ReadOnlySpan<byte> carpHeader)
    {
        Sent++;
        return true;
    }

    public void SetAddresses(VirtualHost host, IReadOnlyList<CarpAddress> addresses, bool present)
    {
    }

    public void Announce(VirtualHost host)
    {
    }

    public void StateChanged(VirtualHost host, CarpState oldState, CarpState newState, TransitionReason reason) => StateChanges++;

    public void DemotionChanged(VirtualHost host, byte oldAdvertisedAdvSkew, byte newAdvertisedAdvSkew, byte oldDemoteCount, byte newDemoteCount)
    {
    }

    public void MaintenanceChanged(VirtualHost host, bool maintenance)
    {
    }

    public void BadPacket(CarpStatistic counter, string carpDev, byte vhid, string detail)
    {
    }
}
