namespace Carp.Engine.Hosting;

/// <summary>Creates CARP engines: on the real Linux wire, or on an in-memory simulated LAN.</summary>
public static class CarpServices
{
    /// <summary>
    /// An engine in this process on the real wire (SharpPcap + netlink). Throws <see cref="CarpException"/>
    /// with <see cref="CarpErrorCode.NotPermitted"/> when not root / no CAP_NET_RAW+CAP_NET_ADMIN, and
    /// <see cref="CarpErrorCode.LibpcapMissing"/> when libpcap0.8 is not installed.
    /// </summary>
    public static ICarpService CreateLocal(CarpServiceOptions? options = null)
    {
        if (!LinuxCapabilities.CanRunCarp())
        {
            throw new CarpException(CarpErrorCode.NotPermitted, "CARP needs CAP_NET_RAW and CAP_NET_ADMIN to capture, send and move addresses.",
                "Run as root (sudo pwsh), or grant the capabilities, or use carpd: Connect-CarpService.");
        }

        if (!Linux.PacketDevice.IsLibpcapAvailable)
        {
            throw new CarpException(CarpErrorCode.LibpcapMissing, "libpcap is not installed.", "Install it: apt-get install libpcap0.8");
        }

        return new CarpService(new LinuxWire(options?.Log), options);
    }

    /// <summary>
    /// An engine on a fresh in-memory LAN whose only carpdevs are <paramref name="carpDevs"/> (default "sim0"), driven by
    /// real time. Needs no privilege and sends nothing on any network: for trying CARP out and for tests.
    /// </summary>
    public static ICarpService CreateSimulated(params string[] carpDevs) => CreateSimulated(null, carpDevs);

    /// <summary>As <see cref="CreateSimulated(string[])"/>, with sysctls and a log.</summary>
    public static ICarpService CreateSimulated(CarpServiceOptions? options, params string[] carpDevs) =>
        new CarpService(new InMemoryWire(carpDevs.Length == 0 ? ["sim0"] : carpDevs), options);
}
