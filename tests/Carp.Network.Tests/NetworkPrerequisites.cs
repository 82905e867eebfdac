using Carp.Engine.Linux;

namespace Carp.Network.Tests;

/// <summary>
/// The network tests need Linux, root, libpcap and iproute2's "ip". When something is missing they
/// are skipped, except on CI (CI=true), where a missing prerequisite is a failure.
/// </summary>
public static class NetworkPrerequisites
{
    private static readonly Lazy<string?> Missing = new(Check);

    /// <summary>What is missing, or null when the tests can run.</summary>
    public static string? MissingReason => Missing.Value;

    public static void Require()
    {
        string? missing = Missing.Value;
        if (missing is null)
        {
            return;
        }

        string message = $"Network tests need {missing}.";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail(message + " (CI=true: a missing prerequisite fails the run.)");
        }

        Assert.Skip(message);
    }

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

        if (Command.Find("ip") is null)
        {
            return "the 'ip' command (install iproute2)";
        }

        return null;
    }
}
