namespace Carpd;

/// <summary>
/// What carpd's start-up allocated and no longer uses — the configuration as parsed, each virtual host's set-up, the
/// rehearsal's private node — given back to the system once, before READY=1. In steady state carpd allocates nothing per
/// advert (BENCHMARKS.md#scale), so without a collection that garbage would stay resident for the life of the process:
/// about 10 MB of a 1000-vhid carpd's 100 MB.
/// </summary>
internal static class StartupMemory
{
    /// <summary>A blocking, compacting collection that also returns the freed memory to the system (aggressive mode).</summary>
    public static void Release() => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
}
