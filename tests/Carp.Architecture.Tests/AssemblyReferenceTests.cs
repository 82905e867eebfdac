namespace Carp.Architecture.Tests;

/// <summary>
/// The arrows between the assemblies: the engine knows no adapter, the Linux adapters and the control
/// protocol know no front end, carpd knows no PowerShell.
/// </summary>
public sealed class AssemblyReferenceTests
{
    [Fact]
    public void Carp_Engine_references_no_other_project_assembly_nor_SharpPcap_nor_PowerShell()
    {
        AssertReferencesNone(Product.Engine,
            [.. Product.ProjectAssemblies.Where(n => n != Product.Engine), Product.SharpPcap, Product.PowerShell]);
    }

    [Fact]
    public void Carp_Linux_references_the_engine_but_not_the_control_protocol_carpd_or_the_module()
    {
        Assert.Contains(Product.Engine, Product.References(Product.Linux));
        AssertReferencesNone(Product.Linux, [Product.Control, Product.Carpd, Product.Module]);
    }

    [Fact]
    public void Carp_Control_references_neither_carpd_nor_the_module()
    {
        AssertReferencesNone(Product.Control, [Product.Carpd, Product.Module]);
    }

    [Fact]
    public void Carpd_references_neither_the_module_nor_PowerShell()
    {
        AssertReferencesNone(Product.Carpd, [Product.Module, Product.PowerShell]);
    }

    /// <summary>The project assemblies are the ones the other rules name (a renamed project would make them vacuous).</summary>
    [Fact]
    public void The_rules_name_the_projects_of_the_solution()
    {
        foreach (var name in new[] { Product.Engine, Product.Linux, Product.Control, Product.Carpd, Product.Module })
        {
            Assert.Contains(name, Product.ProjectAssemblies);
        }
    }

    internal static void AssertReferencesNone(string assembly, IEnumerable<string> forbidden)
    {
        var references = Product.References(assembly);
        var wrong = references.Intersect(forbidden, StringComparer.OrdinalIgnoreCase).ToList();
        Assert.True(wrong.Count == 0,
            $"{assembly} references {string.Join(", ", wrong)}; it must not. All its references: {string.Join(", ", references)}.");
    }
}
