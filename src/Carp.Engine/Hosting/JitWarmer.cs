using System.Net;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Carp.Engine.Core;
using Carp.Engine.Core.Demotion;
using Carp.Engine.Protocol;

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

    /// <summary>Compiled code is per process, so the warm-up runs once, whatever number of engines it hosts.</summary>
    private static readonly Lazy<bool> TakeoverPathWarmedUp = new(() =>
    {
        WarmTakeoverPath();
        return true;
    });

    /// <summary>Warms the engine's takeover path (<see cref="CarpService"/> calls it as it starts); later calls do nothing.</summary>
    public static void WarmTakeoverPathOnce() => _ = TakeoverPathWarmedUp.Value;

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

    /// <summary>
    /// A BACKUP builds its first advert, ARP and NA frames at the moment it takes over; compiling that
    /// code then (PacketDotNet's builders, the HMAC) would add milliseconds to the takeover.
    /// </summary>
    private static void WarmTakeoverPath()
    {
        var mac = CarpMac.Virtual(1);
        Span<byte> header = stackalloc byte[CarpConstants.HeaderLength];
        using (var hmac = new CarpHmac(CarpKey.Empty, 1, [IPAddress.Parse("192.0.2.1")]))
        {
            Span<byte> digest = stackalloc byte[CarpConstants.HmacLength];
            hmac.Compute(1, digest);
            CarpHeaderCodec.Write(header, 1, 0, 0, 1, 1, digest);
        }

        _ = new AdvertFrameTemplate(mac, IPAddress.Parse("192.0.2.1"), CarpConstants.MulticastV4, 0x10).Write(header, 1);
        _ = new AdvertFrameTemplate(mac, IPAddress.Parse("fe80::1"), CarpConstants.MulticastV6, 0x10).Write(header, 0);
        _ = CarpFrameBuilder.GratuitousArp(mac, IPAddress.Parse("192.0.2.1"));
        _ = CarpFrameBuilder.UnsolicitedNeighborAdvertisement(mac, IPAddress.Parse("2001:db8::1"), IPAddress.Parse("2001:db8::1"), router: false);
        Prepare(typeof(VirtualHost), typeof(CarpNode), typeof(AdvertCounter), typeof(RandomCounterSource), typeof(AdvertAddressing),
            typeof(HostDemotion), typeof(FreeBsdDemotion), typeof(SuppressPreemptDemotion), typeof(OpenBsdDemoteGroups),
            typeof(SendErrorStreak), typeof(DemotionLedger), typeof(CarpService), typeof(CarpHmac), typeof(CarpHeaderCodec),
            typeof(EventDispatcher), typeof(EngineLoop), typeof(AdvertFrameCache), typeof(AdvertFrameTemplate), typeof(BlockRandom),
            typeof(WireBatch), typeof(AdvertBatch), typeof(TimerQueue));
    }
}
