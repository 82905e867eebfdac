namespace Carp.Engine.Hosting;

/// <summary>Creates CARP engines on an in-memory LAN (the Linux wire has its own factory in Carp.Linux).</summary>
public static class CarpServices
{
    /// <summary>
    /// An engine on a fresh in-memory LAN whose only carpdevs are <paramref name="carpDevs"/> (default "sim0"), driven by
    /// real time. Needs no privilege and sends nothing on any network: for trying CARP out and for tests.
    /// </summary>
    public static ICarpService CreateInMemory(params string[] carpDevs) => CreateInMemory(null, carpDevs);

    /// <summary>As <see cref="CreateInMemory(string[])"/>, with sysctls and a log.</summary>
    public static ICarpService CreateInMemory(CarpServiceOptions? options, params string[] carpDevs) =>
        new CarpService(new InMemoryWire(carpDevs.Length == 0 ? ["sim0"] : carpDevs), options);
}
