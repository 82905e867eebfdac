using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Carp.Engine.Hosting;

/// <summary>
/// Compiles the code of a takeover before it is needed. A BACKUP runs its transition, signing and
/// send path for the first time at the moment it becomes MASTER; compiling them then (and building
/// P/Invoke stubs for the send) added milliseconds to a node's first failover, often its only one.
/// </summary>
public static class JitWarmer
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance |
                                          BindingFlags.Static | BindingFlags.DeclaredOnly;

    /// <summary>Compiles every non-generic method of <paramref name="types"/> and their nested types.</summary>
    public static void Prepare(params Type[] types)
    {
        foreach (var type in types.SelectMany(t => t.GetNestedTypes(Declared).Prepend(t)))
        {
            if (type.ContainsGenericParameters)
            {
                continue;
            }

            foreach (var method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
            {
                if (method.IsAbstract || method.ContainsGenericParameters || (method.MethodImplementationFlags & MethodImplAttributes.InternalCall) != 0)
                {
                    continue;
                }

                try
                {
                    if ((method.Attributes & MethodAttributes.PinvokeImpl) != 0 && method is MethodInfo pinvoke)
                    {
                        Marshal.Prelink(pinvoke);
                    }
                    else
                    {
                        RuntimeHelpers.PrepareMethod(method.MethodHandle);
                    }
                }
                catch (Exception ex) when (ex is ArgumentException or NotSupportedException or TypeLoadException or EntryPointNotFoundException or DllNotFoundException or BadImageFormatException)
                {
                    // Some methods cannot be prepared ahead (e.g. an export this libc lacks); they compile on first use.
                }
            }
        }
    }
}
