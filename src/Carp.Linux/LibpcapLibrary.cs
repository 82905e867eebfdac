using System.Runtime.InteropServices;

namespace Carp.Linux;

/// <summary>
/// Finds the system libpcap (the same one SharpPcap loads) so that its absence becomes a clear
/// <see cref="LibpcapMissingException"/>, and exposes pcap_breakloop and pcap_setdirection, which SharpPcap does not.
/// </summary>
internal static unsafe class LibpcapLibrary
{
    private static readonly string[] Candidates = ["libpcap.so.0.8", "libpcap.so.1", "libpcap.so"];
    private static readonly Lazy<IntPtr> Handle = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<IntPtr> BreakLoopExport = new(
        () => Handle.Value != IntPtr.Zero && NativeLibrary.TryGetExport(Handle.Value, "pcap_breakloop", out IntPtr f) ? f : IntPtr.Zero,
        LazyThreadSafetyMode.ExecutionAndPublication);

    private static readonly Lazy<IntPtr> SetDirectionExport = new(
        () => Handle.Value != IntPtr.Zero && NativeLibrary.TryGetExport(Handle.Value, "pcap_setdirection", out IntPtr f) ? f : IntPtr.Zero,
        LazyThreadSafetyMode.ExecutionAndPublication);

    private static readonly Lazy<IntPtr> FileNoExport = new(
        () => Handle.Value != IntPtr.Zero && NativeLibrary.TryGetExport(Handle.Value, "pcap_fileno", out IntPtr f) ? f : IntPtr.Zero,
        LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>pcap_direction_t PCAP_D_IN.</summary>
    public const int DirectionIn = 1;

    public static bool IsAvailable => Handle.Value != IntPtr.Zero;

    public static void EnsureAvailable()
    {
        if (!IsAvailable)
        {
            throw new LibpcapMissingException();
        }
    }

    /// <summary>True for the exceptions SharpPcap throws when the native library is absent.</summary>
    public static bool IsMissingLibraryError(Exception ex) => ex switch
    {
        DllNotFoundException => true,
        TypeInitializationException { InnerException: { } inner } => IsMissingLibraryError(inner),
        _ => false,
    };

    /// <summary>Wakes a thread blocked in pcap_next_ex on <paramref name="pcap"/> (libpcap ≥ 1.10 on Linux).</summary>
    public static bool BreakLoop(IntPtr pcap)
    {
        IntPtr f = BreakLoopExport.Value;
        if (f == IntPtr.Zero || pcap == IntPtr.Zero)
        {
            return false;
        }

        ((delegate* unmanaged<IntPtr, void>)f)(pcap);
        return true;
    }

    /// <summary>pcap_fileno: the packet socket of a live capture (what pcap_inject sends on), or -1.</summary>
    public static int FileNo(IntPtr pcap)
    {
        IntPtr f = FileNoExport.Value;
        return f == IntPtr.Zero || pcap == IntPtr.Zero ? -1 : ((delegate* unmanaged<IntPtr, int>)f)(pcap);
    }

    /// <summary>pcap_setdirection; returns libpcap's result (0 on success), or -1 when unavailable.</summary>
    public static int SetDirection(IntPtr pcap, int direction)
    {
        IntPtr f = SetDirectionExport.Value;
        if (f == IntPtr.Zero || pcap == IntPtr.Zero)
        {
            return -1;
        }

        return ((delegate* unmanaged<IntPtr, int, int>)f)(pcap, direction);
    }

    private static IntPtr Load()
    {
        foreach (string name in Candidates)
        {
            if (NativeLibrary.TryLoad(name, out IntPtr handle))
            {
                return handle;
            }
        }

        return IntPtr.Zero;
    }
}
