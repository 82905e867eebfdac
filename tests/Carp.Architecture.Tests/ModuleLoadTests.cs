namespace Carp.Architecture.Tests;

/// <summary>The PowerShell module loads only what it uses: the daemon is no part of it.</summary>
public sealed class ModuleLoadTests
{
    [Fact]
    public void CarpPS_does_not_reference_carpd() =>
        AssemblyReferenceTests.AssertReferencesNone(Product.Module, [Product.Carpd]);

    /// <summary>The module as installed (eng/layout.sh, named by CARPPS_MODULE_DIR as build.sh sets it) holds no carpd.</summary>
    [Fact]
    public void The_laid_out_module_holds_no_carpd()
    {
        var directory = Environment.GetEnvironmentVariable("CARPPS_MODULE_DIR");
        if (string.IsNullOrEmpty(directory))
        {
            Assert.False(string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase),
                "CARPPS_MODULE_DIR is not set under CI=true: run the suite through ./build.sh test, which lays the module out.");
            Assert.Skip("CARPPS_MODULE_DIR is not set, so there is no laid-out module to look at (./build.sh test sets it).");
        }

        Assert.True(File.Exists(Path.Combine(directory, "CarpPS.dll")), $"CARPPS_MODULE_DIR={directory} holds no CarpPS.dll: it is not the laid-out module.");
        var carpd = Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) is "carpd.dll" or "carpd")
            .ToList();
        Assert.True(carpd.Count == 0, $"The laid-out module holds {string.Join(", ", carpd)}; CarpPS must not ship or load carpd.");
    }
}
