using System.Reflection;
using System.Runtime.InteropServices;

namespace CarpPS;

/// <summary>
/// Where ScottPlot's native Skia and HarfBuzz libraries are: the module keeps them under runtimes/&lt;rid&gt;/native (eng/layout.sh),
/// which the runtime does not search for an assembly loaded by PowerShell, so their imports are resolved here.
/// </summary>
internal static class NativeGraphics
{
    private static int _registered;

    public static void EnsureResolvable()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 1)
        {
            return;
        }

        Register(typeof(SkiaSharp.SKObject).Assembly);
        Register(typeof(HarfBuzzSharp.Blob).Assembly);
    }

    private static void Register(Assembly assembly)
    {
        try
        {
            NativeLibrary.SetDllImportResolver(assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            // Someone else resolves it already.
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        var architecture = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        var file = name.StartsWith("lib", StringComparison.Ordinal) ? name : "lib" + name;
        file = file.EndsWith(".so", StringComparison.Ordinal) ? file : file + ".so";
        foreach (var folder in new[] { Path.GetDirectoryName(typeof(NativeGraphics).Assembly.Location), Path.GetDirectoryName(assembly.Location) })
        {
            if (folder is null)
            {
                continue;
            }

            var candidate = Path.Combine(folder, "runtimes", "linux-" + architecture, "native", file);
            if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out var handle))
            {
                return handle;
            }
        }

        return IntPtr.Zero;
    }
}
