using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;
using YamlDotNet.RepresentationModel;

namespace CarpPS.Tests;

/// <summary>
/// The DSC v3 resource manifests (dsc/*.dsc.resource.json) and the YAML configuration example, checked with
/// JsonSchema.Net: each embedded schema is a valid 2020-12 schema that takes the example's instances and refuses
/// what is not one. tests/pester/CarpPS.DscV3.Tests.ps1 runs the manifests' operations against carpd.
/// </summary>
public sealed partial class DscManifestTests(ModuleFixture module)
{
    public static TheoryData<string> Resources => ["CarpInterface", "CarpMaintenance", "CarpSysctl"];

    private JsonObject Manifest(string resource) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(module.RepositoryRoot, "dsc", $"{resource}.dsc.resource.json")))!.AsObject();

    private static JsonSchema Schema(JsonObject manifest) => JsonSchema.FromText(manifest["schema"]!["embedded"]!.ToJsonString());

    private static EvaluationResults Evaluate(JsonSchema schema, JsonNode? instance) =>
        schema.Evaluate(JsonDocument.Parse(instance?.ToJsonString() ?? "null").RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });

    private static string Errors(EvaluationResults results) =>
        string.Join("; ", (results.Details ?? []).Prepend(results).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Values));

    [Theory]
    [MemberData(nameof(Resources))]
    public void The_manifest_runs_its_script_for_every_operation_and_embeds_a_valid_2020_12_schema(string resource)
    {
        var manifest = Manifest(resource);
        Assert.Equal("https://aka.ms/dsc/schemas/v3/bundled/resource/manifest.json", (string?)manifest["$schema"]);
        Assert.Equal($"CarpPS/{resource}", (string?)manifest["type"]);
        foreach (var operation in new[] { "get", "set", "test", "export" })
        {
            var args = manifest[operation]!["args"]!.AsArray().Select(a => (string?)a).ToList();
            Assert.Equal("pwsh", (string?)manifest[operation]!["executable"]);
            Assert.Equal("./CarpPS.Dsc.ps1", args[args.IndexOf("-File") + 1]);
            Assert.Equal(resource, args[args.IndexOf("-Resource") + 1]);
            Assert.Equal(operation, args[args.IndexOf("-Operation") + 1]);
        }

        Assert.True(File.Exists(Path.Combine(module.RepositoryRoot, "dsc", "CarpPS.Dsc.ps1")));
        Assert.Equal("stateAndDiff", (string?)manifest["set"]!["return"]);
        Assert.Equal("stateAndDiff", (string?)manifest["test"]!["return"]);
        Assert.Equal(["0", "1", "2"], manifest["exitCodes"]!.AsObject().Select(p => p.Key));

        var embedded = manifest["schema"]!["embedded"]!;
        Assert.Equal("https://json-schema.org/draft/2020-12/schema", (string?)embedded["$schema"]);
        var meta = Evaluate(MetaSchemas.Draft202012, embedded);
        Assert.True(meta.IsValid, Errors(meta));
    }

    [Fact]
    public void The_interface_schema_refuses_what_carpd_would()
    {
        var schema = Schema(Manifest("CarpInterface"));
        Assert.True(Evaluate(schema, JsonNode.Parse("""{"name":"carp1","vhid":1,"carpDev":"em0","address":["192.0.2.100/24"],"pass":"x","_exist":true}""")).IsValid);
        foreach (var bad in new[]
        {
            """{"vhid":1}""", """{"name":"carp1","vhid":0}""", """{"name":"carp1","vhid":256}""", """{"name":"carp1","advSkew":255}""",
            """{"name":"bad name!"}""", """{"name":"carp1","address":"192.0.2.100/24"}""", """{"name":"carp1","macMode":"Fake"}""", """{"name":"carp1","colour":1}""",
        })
        {
            Assert.False(Evaluate(schema, JsonNode.Parse(bad)).IsValid, bad);
        }
    }

    [Fact]
    public void The_yaml_example_names_the_manifests_and_its_instances_fit_their_schemas()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Path.Combine(module.RepositoryRoot, "examples", "dsc", "firewalls.dsc.config.yaml"))));
        var document = (YamlMappingNode)yaml.Documents[0].RootNode;
        var parameters = (YamlMappingNode)document["parameters"];
        var given = new Dictionary<string, JsonNode?> { ["lanPass"] = "lanpasswd", ["wanPass"] = "wanpasswd", ["advSkew"] = 128 };
        var resources = ((YamlSequenceNode)document["resources"]).Cast<YamlMappingNode>().ToList();
        Assert.Equal(3, resources.Count);
        foreach (var resource in resources)
        {
            var type = ((YamlScalarNode)resource["type"]).Value!;
            Assert.StartsWith("CarpPS/", type, StringComparison.Ordinal);
            var instance = (JsonObject)ToJson(resource["properties"], name => given.TryGetValue(name, out var value)
                ? value?.DeepClone()
                : ToJson(((YamlMappingNode)parameters[name])["defaultValue"], _ => throw new InvalidOperationException(name)))!;
            var result = Evaluate(Schema(Manifest(type["CarpPS/".Length..])), instance);
            Assert.True(result.IsValid, $"{type}: {instance.ToJsonString()}: {Errors(result)}");
        }
    }

    /// <summary>YAML → JSON as dsc reads it: plain true/false/integers typed, [parameters('x')] resolved.</summary>
    private static JsonNode? ToJson(YamlNode node, Func<string, JsonNode?> parameter) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, ToJson(c.Value, parameter)))),
        YamlSequenceNode list => new JsonArray([.. list.Children.Select(c => ToJson(c, parameter))]),
        YamlScalarNode { Value: var text } scalar when ParameterExpression().Match(text ?? string.Empty) is { Success: true } match => parameter(match.Groups[1].Value),
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain, Value: "true" or "false" } scalar => JsonValue.Create(scalar.Value == "true"),
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } scalar when long.TryParse(scalar.Value, out var number) => JsonValue.Create(number),
        YamlScalarNode scalar => JsonValue.Create(scalar.Value),
        _ => throw new InvalidOperationException($"unexpected YAML node {node.NodeType}"),
    };

    [GeneratedRegex(@"^\[parameters\('(\w+)'\)\]$")]
    private static partial Regex ParameterExpression();
}
