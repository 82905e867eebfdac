using System.Security;

namespace CarpPS;

/// <summary>
/// What the module's DSC resources (CarpPS.Dsc.psm1) need beyond the cmdlets: whether an interface uses a
/// given pass, answered by the engine (carpd's <c>testPass</c>) in constant time, so that a resource can test
/// its pass without the pass in use ever being returned.
/// </summary>
public static class CarpDsc
{
    /// <summary>
    /// Whether <paramref name="name"/> authenticates with <paramref name="pass"/> (null or empty: no pass), on
    /// <paramref name="session"/> or, without one, the module's current connection. A pass longer than 19 bytes
    /// is compared as ifconfig keeps it: its first 19 bytes.
    /// </summary>
    public static bool TestPass(CarpSession? session, string name, SecureString? pass)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var service = (session ?? CarpSessionRegistry.Current()).Service;
        return service.PassMatches(name, CarpPass.ToKey(pass, out _));
    }
}
