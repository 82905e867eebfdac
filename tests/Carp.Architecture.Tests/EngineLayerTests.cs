using System.Text.RegularExpressions;
using ArchUnitNET.Loader;
using ArchUnitNET.xUnitV3;
using static ArchUnitNET.Fluent.ArchRuleDefinition;

namespace Carp.Architecture.Tests;

/// <summary>
/// The layers inside Carp.Engine: Protocol (the wire format) stands alone; Core (the state machine)
/// builds on Protocol; Simulation and Hosting each build on Core and Protocol, and not on each other.
/// </summary>
public sealed class EngineLayerTests
{
    private const string Protocol = "Carp.Engine.Protocol";
    private const string Core = "Carp.Engine.Core";
    private const string Simulation = "Carp.Engine.Simulation";
    private const string Hosting = "Carp.Engine.Hosting";

    private static readonly Lazy<ArchUnitNET.Domain.Architecture> Engine =
        new(() => new ArchLoader().LoadAssemblies(Product.Load(Product.Engine)).Build());

    [Fact]
    public void Protocol_depends_on_no_other_engine_namespace() => AssertDependsOnlyOn(Protocol);

    [Fact]
    public void Core_depends_only_on_Protocol() => AssertDependsOnlyOn(Core, Protocol);

    [Fact]
    public void Simulation_depends_only_on_Core_and_Protocol() => AssertDependsOnlyOn(Simulation, Core, Protocol);

    [Fact]
    public void Hosting_depends_only_on_Core_and_Protocol() => AssertDependsOnlyOn(Hosting, Core, Protocol);

    /// <summary>A type outside the four layers would escape every rule above.</summary>
    [Fact]
    public void Every_engine_type_is_in_one_of_the_layers()
    {
        Types().That().ResideInNamespaceMatching(@"^Carp\.Engine(\..+)?$")
            .Should().ResideInNamespaceMatching($"^({string.Join("|", new[] { Protocol, Core, Simulation, Hosting }.Select(Regex.Escape))})(\\..+)?$")
            .Check(Engine.Value);
    }

    /// <summary>
    /// Types in <paramref name="layer"/> (and below) depend on no type of another Carp.Engine namespace than
    /// <paramref name="allowed"/>; types outside Carp.Engine (the BCL, PacketDotNet) are not this rule's business.
    /// </summary>
    private static void AssertDependsOnlyOn(string layer, params string[] allowed)
    {
        var inLayer = Types().That().ResideInNamespaceMatching($"^{Regex.Escape(layer)}(\\..+)?$");
        Assert.NotEmpty(inLayer.GetObjects(Engine.Value));

        var permitted = string.Join("|", allowed.Append(layer).Select(n => Regex.Escape(n["Carp.Engine.".Length..])));
        var others = Types().That().ResideInNamespaceMatching($@"^Carp\.Engine(?!\.({permitted})(\.|$))(\..+)?$")
            .As($"Carp.Engine types outside {string.Join(", ", allowed.Append(layer))}");
        inLayer.Should().NotDependOnAny(others).Check(Engine.Value);
    }
}
