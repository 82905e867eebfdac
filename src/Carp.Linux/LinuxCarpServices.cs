using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace Carp.Linux;

/// <summary>Creates CARP engines on the real Linux wire.</summary>
public static class LinuxCarpServices
{
    private static readonly Lazy<bool> LinuxTakeoverPathWarmed = new(() =>
    {
        JitWarmer.Prepare(typeof(LinuxWire), typeof(AddressBatch), typeof(AddressGuardian), typeof(StallWatch), typeof(PacketSender),
            typeof(NetlinkRouteSocket), typeof(NetlinkMessageWriter), typeof(NetlinkMessageReader), typeof(NetlinkChannel));
        return true;
    });

    /// <summary>
    /// An engine in this process on the real wire (SharpPcap + netlink), its loop on the Linux platform
    /// (eventfd, SCHED_FIFO). Throws <see cref="CarpException"/> with <see cref="CarpErrorCode.NotPermitted"/>
    /// without CAP_NET_RAW and CAP_NET_ADMIN, and <see cref="CarpErrorCode.LibpcapMissing"/> without libpcap0.8.
    /// </summary>
    public static ICarpService CreateLocal(CarpServiceOptions? options = null)
    {
        if (!LinuxCapabilities.CanRunCarp())
        {
            throw new CarpException(CarpErrorCode.NotPermitted, "CARP needs CAP_NET_RAW and CAP_NET_ADMIN to capture, send and move addresses.");
        }

        if (!PacketDevice.IsLibpcapAvailable)
        {
            throw new CarpException(CarpErrorCode.LibpcapMissing, "libpcap (libpcap.so.0.8) is not installed.");
        }

        // The engine will hold keys: keep them out of core dumps of this process (a pwsh session, carpd).
        ProcessHardening.DisableCoreDumps();
        options ??= new CarpServiceOptions();
        // What a takeover runs on this wire after its advert (the address batch, the guardian, netlink, the batched send),
        // compiled ahead like the engine's own path: the first takeover's addresses come up as fast as a later one's.
        _ = LinuxTakeoverPathWarmed.Value;
        return new CarpService(new LinuxWire(options.Log), options with { Platform = LinuxEnginePlatform.Instance, RehearseTakeover = true, TrackerProbe = LinuxTrackerProbe.Instance });
    }
}
