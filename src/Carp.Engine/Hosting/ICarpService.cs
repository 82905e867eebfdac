using Carp.Engine.Core;
using Carp.Engine.Protocol;

namespace Carp.Engine.Hosting;

/// <summary>
/// What every front end (the PowerShell cmdlets, carpd's control socket) asks of a running CARP
/// engine, whether it runs in this process or in carpd. Every method is safe to call from any
/// thread; a refused request throws <see cref="CarpException"/> and changes nothing.
/// </summary>
public interface ICarpService : IDisposable
{
    IReadOnlyList<VirtualHostStatus> GetInterfaces();

    VirtualHostStatus CreateInterface(VirtualHostConfig config);

    /// <summary>
    /// Creates each of <paramref name="configs"/> as <see cref="CreateInterface"/> does, one refused one not stopping the
    /// others. An engine may start them together (docs/protocol.md#started-together): then their master-down timers all
    /// run from the end of the step, and the virtual hosts that take over share their timer passes from then on.
    /// </summary>
    IReadOnlyList<InterfaceCreation> CreateInterfaces(IReadOnlyList<VirtualHostConfig> configs)
    {
        var results = new List<InterfaceCreation>(configs.Count);
        foreach (var config in configs)
        {
            try
            {
                results.Add(new InterfaceCreation(config, CreateInterface(config), null));
            }
            catch (CarpException ex)
            {
                results.Add(new InterfaceCreation(config, null, ex));
            }
        }

        return results;
    }

    VirtualHostStatus SetInterface(string name, InterfaceChange change);

    /// <summary>Destroys the interface: a MASTER first sends its bow-out advert and drops its addresses.</summary>
    void RemoveInterface(string name);

    /// <summary>
    /// Whether <paramref name="name"/> authenticates with <paramref name="pass"/> (no pass: <see cref="CarpKey.Empty"/>),
    /// compared in constant time; the pass in use is never returned. Lets a configuration tool (DSC) test a pass.
    /// </summary>
    bool PassMatches(string name, CarpKey pass);

    CarpSysctls GetSysctls();

    CarpSysctls SetSysctl(string name, long value);

    CarpStatisticsSnapshot GetStatistics();

    void ResetStatistics();

    /// <summary>Delivers events on a service thread; the handler must not block. Dispose to unsubscribe.</summary>
    IDisposable Subscribe(Action<CarpEvent> handler);
}
