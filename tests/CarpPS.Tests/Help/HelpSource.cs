using System.Text;

namespace CarpPS.Tests.Help;

/// <summary>
/// One cmdlet's help text as written in src/CarpPS/Help/&lt;Cmdlet&gt;.md (PlatyPS-like markdown):
/// <c># Name</c>, then <c>## SYNOPSIS</c>, <c>## DESCRIPTION</c>, <c>## EXAMPLES</c> (<c>### title</c>, a
/// fenced code block, remarks), <c>## PARAMETERS</c> (<c>### -Name</c>, text, optional "Default value: x"),
/// <c>## INPUTS</c> / <c>## OUTPUTS</c> (<c>### type</c>, text), <c>## NOTES</c>, <c>## RELATED LINKS</c> (<c>- name</c>).
/// </summary>
public sealed class HelpSource
{
    public required string Name { get; init; }

    public required string Path { get; init; }

    public List<string> Synopsis { get; } = [];

    public List<string> Description { get; } = [];

    public List<HelpExample> Examples { get; } = [];

    public Dictionary<string, HelpParameter> Parameters { get; } = new(StringComparer.OrdinalIgnoreCase);

    public List<(string Type, List<string> Text)> Inputs { get; } = [];

    public List<(string Type, List<string> Text)> Outputs { get; } = [];

    public List<string> Notes { get; } = [];

    public List<string> RelatedLinks { get; } = [];

    public static HelpSource Parse(string path)
    {
        var lines = File.ReadAllLines(path);
        var title = lines.FirstOrDefault(l => l.StartsWith("# ", StringComparison.Ordinal))
            ?? throw new FormatException($"{path}: no '# Name' title.");
        var source = new HelpSource { Name = title[2..].Trim(), Path = path };
        string? section = null;
        List<string>? paragraphs = null;
        var paragraph = new StringBuilder();
        HelpExample? example = null;
        var inCode = false;

        void Flush()
        {
            if (paragraph.Length > 0 && paragraphs is not null)
            {
                paragraphs.Add(paragraph.ToString());
            }

            paragraph.Clear();
        }

        foreach (var raw in lines.SkipWhile(l => !l.StartsWith("## ", StringComparison.Ordinal)))
        {
            var line = raw.TrimEnd();
            if (inCode)
            {
                if (line.StartsWith("```", StringComparison.Ordinal))
                {
                    inCode = false;
                }
                else
                {
                    example!.Code.Add(line);
                }

                continue;
            }

            if (line.StartsWith("```", StringComparison.Ordinal) && section == "EXAMPLES" && example is not null)
            {
                Flush();
                inCode = true;
                continue;
            }

            if (line.StartsWith("## ", StringComparison.Ordinal))
            {
                Flush();
                section = line[3..].Trim().ToUpperInvariant();
                example = null;
                paragraphs = section switch
                {
                    "SYNOPSIS" => source.Synopsis,
                    "DESCRIPTION" => source.Description,
                    "NOTES" => source.Notes,
                    _ => null,
                };
                continue;
            }

            if (line.StartsWith("### ", StringComparison.Ordinal))
            {
                Flush();
                var heading = line[4..].Trim();
                switch (section)
                {
                    case "EXAMPLES":
                        example = new HelpExample(heading);
                        source.Examples.Add(example);
                        paragraphs = example.Remarks;
                        break;
                    case "PARAMETERS":
                        var parameter = new HelpParameter(heading.TrimStart('-'));
                        source.Parameters.Add(parameter.Name, parameter);
                        paragraphs = parameter.Description;
                        break;
                    case "INPUTS":
                        source.Inputs.Add((heading, paragraphs = []));
                        break;
                    case "OUTPUTS":
                        source.Outputs.Add((heading, paragraphs = []));
                        break;
                    default:
                        throw new FormatException($"{path}: '### {heading}' under '## {section}'.");
                }

                continue;
            }

            if (section == "RELATED LINKS")
            {
                if (line.StartsWith("- ", StringComparison.Ordinal))
                {
                    source.RelatedLinks.Add(line[2..].Trim());
                }

                continue;
            }

            if (line.StartsWith("Default value:", StringComparison.Ordinal) && section == "PARAMETERS" && source.Parameters.Count > 0)
            {
                Flush();
                source.Parameters.Values.Last().DefaultValue = line["Default value:".Length..].Trim();
                continue;
            }

            if (line.Length == 0)
            {
                Flush();
                continue;
            }

            if (paragraphs is null)
            {
                throw new FormatException($"{path}: text outside a known section: '{line}'.");
            }

            if (paragraph.Length > 0)
            {
                // A list item or an indented line starts a line of its own; other lines flow into the paragraph.
                paragraph.Append(line.StartsWith("- ", StringComparison.Ordinal) || line.StartsWith("  ", StringComparison.Ordinal) ? "\n" : " ");
            }

            paragraph.Append(line.StartsWith("  ", StringComparison.Ordinal) ? line : line.Trim());
        }

        Flush();
        return source;
    }
}

public sealed class HelpExample(string title)
{
    public string Title { get; } = title;

    public List<string> Code { get; } = [];

    public List<string> Remarks { get; } = [];
}

public sealed class HelpParameter(string name)
{
    public string Name { get; } = name;

    public List<string> Description { get; } = [];

    public string? DefaultValue { get; set; }
}
