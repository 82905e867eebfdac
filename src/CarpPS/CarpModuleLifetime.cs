using System.Management.Automation;

namespace CarpPS;

/// <summary>
/// Import-Module / Remove-Module hooks: removing the module closes the runspace's connections and,
/// when no runspace has it imported any more, stops the in-process engine (bow-out, addresses released).
/// </summary>
public sealed class CarpModuleLifetime : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    public void OnImport() => CarpSessionRegistry.OnImport();

    public void OnRemove(PSModuleInfo psModuleInfo) => CarpSessionRegistry.OnRemove();
}
