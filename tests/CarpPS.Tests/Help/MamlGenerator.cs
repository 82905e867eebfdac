using System.Management.Automation;
using System.Xml;
using System.Xml.Linq;

namespace CarpPS.Tests.Help;

/// <summary>
/// Writes the MAML help (en-US/CarpPS.dll-Help.xml) from the cmdlets' metadata (parameter sets, types,
/// positions, pipeline input, wildcards, aliases) and the text in src/CarpPS/Help/*.md — what PlatyPS
/// would do, which is not available here.
/// </summary>
public static class MamlGenerator
{
    private static readonly XNamespace Msh = "http://msh";
    private static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    private static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    /// <summary>Parameters every cmdlet has; PowerShell documents them under &lt;CommonParameters&gt;.</summary>
    public static readonly IReadOnlySet<string> CommonParameters = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "Verbose", "Debug", "ErrorAction", "WarningAction", "InformationAction", "ProgressAction", "ErrorVariable",
        "WarningVariable", "InformationVariable", "OutVariable", "OutBuffer", "PipelineVariable",
    };

    private static readonly Dictionary<string, string> RiskParameters = new(StringComparer.OrdinalIgnoreCase)
    {
        ["WhatIf"] = "Shows what would happen if the cmdlet runs. The cmdlet is not run and nothing changes.",
        ["Confirm"] = "Prompts you for confirmation before running the cmdlet.",
    };

    /// <summary>The parameters a cmdlet's help must describe: all but the common ones.</summary>
    public static IEnumerable<string> DocumentedParameters(CmdletInfo cmdlet) =>
        cmdlet.Parameters.Keys.Where(p => !CommonParameters.Contains(p));

    public static string Generate(IEnumerable<CmdletInfo> cmdlets, IReadOnlyDictionary<string, HelpSource> sources)
    {
        var items = new XElement(Msh + "helpItems", new XAttribute("schema", "maml"));
        foreach (var cmdlet in cmdlets.OrderBy(c => c.Name, StringComparer.Ordinal))
        {
            items.Add(CommandElement(cmdlet, sources[cmdlet.Name]));
        }

        var document = new XDocument(new XDeclaration("1.0", "utf-8", null), items);
        using var writer = new Utf8StringWriter();
        using (var xml = XmlWriter.Create(writer, new XmlWriterSettings { Indent = true, IndentChars = "  ", NewLineChars = "\n" }))
        {
            document.Save(xml);
        }

        return writer.ToString() + "\n";
    }

    private static XElement CommandElement(CmdletInfo cmdlet, HelpSource source)
    {
        var parameterHelp = DocumentedParameters(cmdlet).ToDictionary(p => p, p => ParameterText(source, p), StringComparer.OrdinalIgnoreCase);
        var command = new XElement(Command + "command",
            new XAttribute(XNamespace.Xmlns + "maml", Maml),
            new XAttribute(XNamespace.Xmlns + "command", Command),
            new XAttribute(XNamespace.Xmlns + "dev", Dev),
            new XElement(Command + "details",
                new XElement(Command + "name", cmdlet.Name),
                new XElement(Command + "verb", cmdlet.Verb),
                new XElement(Command + "noun", cmdlet.Noun),
                Description(source.Synopsis)),
            Description(source.Description),
            new XElement(Command + "syntax",
                cmdlet.ParameterSets.OrderBy(s => s.IsDefault ? 0 : 1).ThenBy(s => s.Name, StringComparer.Ordinal).Select(set =>
                    new XElement(Command + "syntaxItem",
                        new XElement(Maml + "name", cmdlet.Name),
                        set.Parameters.Where(p => !CommonParameters.Contains(p.Name))
                            .OrderBy(p => p.Position < 0 ? int.MaxValue : p.Position)
                            .ThenBy(p => p.IsMandatory ? 0 : 1)
                            .Select(p => Parameter(p, parameterHelp[p.Name], source, withValueGroup: true))))),
            new XElement(Command + "parameters",
                DocumentedParameters(cmdlet).Order(StringComparer.OrdinalIgnoreCase).Select(name =>
                    Parameter(MergedParameter(cmdlet, name), parameterHelp[name], source, withValueGroup: false))),
            new XElement(Command + "inputTypes", source.Inputs.Select(i =>
                new XElement(Command + "inputType", TypeElement(i.Type), Description(i.Text)))),
            new XElement(Command + "returnValues", source.Outputs.Select(o =>
                new XElement(Command + "returnValue", TypeElement(o.Type), Description(o.Text)))),
            new XElement(Maml + "alertSet", new XElement(Maml + "alert", source.Notes.Select(Para))),
            new XElement(Command + "examples", source.Examples.Select((e, i) =>
                new XElement(Command + "example",
                    new XElement(Maml + "title", $"-------------------------- {e.Title} --------------------------"),
                    new XElement(Dev + "code", string.Join("\n", e.Code)),
                    new XElement(Dev + "remarks", e.Remarks.Select(Para))))),
            new XElement(Command + "relatedLinks", source.RelatedLinks.Select(l =>
                new XElement(Maml + "navigationLink", new XElement(Maml + "linkText", l), new XElement(Maml + "uri")))));
        return command;
    }

    private static List<string> ParameterText(HelpSource source, string name) =>
        source.Parameters.TryGetValue(name, out var parameter) ? parameter.Description
        : RiskParameters.TryGetValue(name, out var text) ? [text]
        : [];

    /// <summary>A parameter as the parameters section shows it: its first parameter set's binding, any set's pipeline input.</summary>
    private static CommandParameterInfo MergedParameter(CmdletInfo cmdlet, string name) =>
        cmdlet.ParameterSets.SelectMany(s => s.Parameters).Where(p => p.Name == name)
            .OrderByDescending(p => p.ValueFromPipeline || p.ValueFromPipelineByPropertyName).ThenByDescending(p => p.IsMandatory).First();

    private static XElement Parameter(CommandParameterInfo parameter, List<string> description, HelpSource source, bool withValueGroup)
    {
        var type = parameter.ParameterType;
        var isSwitch = type == typeof(SwitchParameter);
        var pipeline = (parameter.ValueFromPipeline, parameter.ValueFromPipelineByPropertyName) switch
        {
            (true, true) => "True (ByPropertyName, ByValue)",
            (true, false) => "True (ByValue)",
            (false, true) => "True (ByPropertyName)",
            _ => "False",
        };
        var element = new XElement(Command + "parameter",
            new XAttribute("required", parameter.IsMandatory ? "true" : "false"),
            new XAttribute("variableLength", "true"),
            new XAttribute("globbing", parameter.Attributes.OfType<SupportsWildcardsAttribute>().Any() ? "true" : "false"),
            new XAttribute("pipelineInput", pipeline),
            new XAttribute("position", parameter.Position < 0 ? "named" : parameter.Position.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new XAttribute("aliases", parameter.Aliases.Count == 0 ? "none" : string.Join(", ", parameter.Aliases)),
            new XElement(Maml + "name", parameter.Name),
            Description(description));
        var values = withValueGroup ? AllowedValues(parameter) : [];
        if (values.Count > 0)
        {
            element.Add(new XElement(Command + "parameterValueGroup", values.Select(v =>
                new XElement(Command + "parameterValue", new XAttribute("required", "false"), new XAttribute(Command + "variableLength", "false"), v))));
        }

        if (!isSwitch)
        {
            element.Add(new XElement(Command + "parameterValue", new XAttribute("required", "true"), new XAttribute("variableLength", "false"), TypeName(type)));
        }

        element.Add(TypeElement(TypeName(type)));
        element.Add(new XElement(Dev + "defaultValue",
            source.Parameters.TryGetValue(parameter.Name, out var help) && help.DefaultValue is { } value ? value : isSwitch ? "False" : "None"));
        return element;
    }

    private static List<string> AllowedValues(CommandParameterInfo parameter)
    {
        if (parameter.Attributes.OfType<ValidateSetAttribute>().FirstOrDefault() is { } set)
        {
            return [.. set.ValidValues];
        }

        var type = Nullable.GetUnderlyingType(parameter.ParameterType) ?? parameter.ParameterType;
        type = type.IsArray ? type.GetElementType()! : type;
        return type.IsEnum ? [.. Enum.GetNames(type)] : [];
    }

    private static string TypeName(Type type)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        return underlying.IsArray ? TypeName(underlying.GetElementType()!) + "[]" : underlying.Name;
    }

    private static XElement TypeElement(string name) =>
        new(Dev + "type", new XElement(Maml + "name", name), new XElement(Maml + "uri"));

    private static XElement Description(IEnumerable<string> paragraphs) => new(Maml + "description", paragraphs.Select(Para));

    private static XElement Para(string text) => new(Maml + "para", text);

    private sealed class Utf8StringWriter : StringWriter
    {
        public Utf8StringWriter()
            : base(System.Globalization.CultureInfo.InvariantCulture)
        {
        }

        public override System.Text.Encoding Encoding => new System.Text.UTF8Encoding(false);
    }
}
