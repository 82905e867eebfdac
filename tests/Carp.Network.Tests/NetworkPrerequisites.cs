using Carp.Testbed;

namespace Carp.Network.Tests;

/// <summary>
/// The network tests need Linux, root, libpcap and iproute2's "ip". When something is missing they
/// are skipped, except on CI (CI=true), where a missing prerequisite is a failure.
/// </summary>
public static class NetworkPrerequisites
{
    public static void Require()
    {
        if (TestbedPrerequisites.MissingReason is not { } missing)
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

    /// <summary>A testbed, after checking the prerequisites the xunit way (skip, or fail on CI).</summary>
    public static TestNetwork Network(int nodeCount = 2)
    {
        Require();
        return TestNetwork.Create(nodeCount);
    }
}
