using System.Text.RegularExpressions;

namespace Carp.Architecture.Tests;

/// <summary>What the source below the module may say: no PowerShell command names, and no document the repository does not hold.</summary>
public sealed partial class SourceTests
{
    /// <summary>The projects below the module: they serve carpd and the module alike, so they speak of neither's commands.</summary>
    public static TheoryData<string> BelowTheModule => [Product.Engine, Product.Linux, Product.Control, Product.Carpd];

    [Theory]
    [MemberData(nameof(BelowTheModule))]
    public void No_cmdlet_name_below_the_module(string project)
    {
        var found = Product.Matches(Product.SourceFiles(project), CmdletName());
        Assert.True(found.Count == 0,
            $"src/{project} names PowerShell commands (their words belong in src/CarpPS, e.g. CarpAdvice):\n{string.Join("\n", found)}");
    }

    [Fact]
    public void No_source_cites_a_document_outside_the_repository()
    {
        var sources = Directory.EnumerateDirectories(Path.Combine(Product.RepositoryRoot, "src"))
            .Order(StringComparer.Ordinal)
            .SelectMany(d => Product.SourceFiles(Path.GetFileName(d)));
        var found = Product.Matches(sources, OutsideDocument());
        Assert.True(found.Count == 0,
            $"These cite documents that are not in the repository (cite docs/ instead):\n{string.Join("\n", found)}");
    }

    [GeneratedRegex(@"\b(Get|Set|New|Remove|Connect|Disconnect|Register|Unregister|Wait|Reset)-Carp\w+")]
    private static partial Regex CmdletName();

    /// <summary>
    /// The shared folder beside the repository, the protocol notes kept there, and section citations of a spec. Written
    /// with [/] so that this file does not itself match a plain search for the folder's name.
    /// </summary>
    [GeneratedRegex(@"(?<![\w.-])shared[/]|\bCARP\.md\b|\bspec\s*§")]
    private static partial Regex OutsideDocument();
}
