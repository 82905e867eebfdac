using Carp.Engine.Hosting;

namespace Carp.Engine.Tests.Hosting;

/// <summary>Lets a service's loop run one turn, timer pass included, under a fake clock.</summary>
internal static class LoopTurns
{
    /// <summary>Two calls onto the loop: the first wakes it, the second returns after the timer pass of that turn.</summary>
    public static void Turn(CarpService service)
    {
        _ = service.GetInterfaces();
        _ = service.GetInterfaces();
    }
}
