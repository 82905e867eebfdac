using Carp.Linux;

namespace Carp.Testbed;

/// <summary>What a namespace testbed needs: Linux, root, libpcap and iproute2's <c>ip</c>.</summary>
public static class TestbedPrerequisites
{
    private static readonly Lazy<string?> Missing = new(Check);

    /// <summary>What is missing, or null when a testbed can be built.</summary>
    public static string? MissingReason => Missing.Value;

    private static string? Check()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "Linux";
        }

        if (!Environment.IsPrivilegedProcess)
        {
            return "root (network namespaces, netlink, raw packets)";
        }

        if (!PacketDevice.IsLibpcapAvailable)
        {
            return "libpcap (install libpcap0.8)";
        }

        return Command.Find("ip") is null ? "the 'ip' command (install iproute2)" : null;
    }
}
