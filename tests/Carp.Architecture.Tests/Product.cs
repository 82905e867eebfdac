using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Carp.Architecture.Tests;

/// <summary>The repository and the assemblies its src/ projects build, as the tests read them.</summary>
internal static class Product
{
    public const string Engine = "Carp.Engine";
    public const string Linux = "Carp.Linux";
    public const string Control = "Carp.Control";
    public const string Carpd = "carpd";
    public const string Module = "CarpPS";
    public const string PowerShell = "System.Management.Automation";
    public const string SharpPcap = "SharpPcap";

    /// <summary>The directory with CarpPS.slnx, found by walking up from the test binaries (else where this project was built from).</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>The assembly names of the projects below src/ in CarpPS.slnx.</summary>
    public static IReadOnlyList<string> ProjectAssemblies { get; } = ReadProjectAssemblies();

    /// <summary>One of the product's assemblies, loaded from the test output (its types are not touched).</summary>
    public static Assembly Load(string name) => Assembly.Load(new AssemblyName(name));

    /// <summary>The names of the assemblies <paramref name="name"/> references.</summary>
    public static IReadOnlyList<string> References(string name) =>
        [.. Load(name).GetReferencedAssemblies().Select(a => a.Name!).Order(StringComparer.Ordinal)];

    /// <summary>The C# files of src/&lt;project&gt;/, without build output.</summary>
    public static IEnumerable<string> SourceFiles(string project)
    {
        var directory = Path.Combine(RepositoryRoot, "src", project);
        Assert.True(Directory.Exists(directory), $"There is no {directory}.");
        return Directory.EnumerateFiles(directory, "*.cs", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(directory, f).Split(Path.DirectorySeparatorChar).Any(d => d is "bin" or "obj"))
            .Order(StringComparer.Ordinal);
    }

    /// <summary>Every place <paramref name="pattern"/> matches in <paramref name="files"/>, as "path:line: text".</summary>
    public static List<string> Matches(IEnumerable<string> files, Regex pattern)
    {
        var found = new List<string>();
        foreach (var file in files)
        {
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                if (pattern.IsMatch(lines[i]))
                {
                    found.Add($"{Path.GetRelativePath(RepositoryRoot, file)}:{i + 1}: {lines[i].Trim()}");
                }
            }
        }

        return found;
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "CarpPS.slnx")))
            {
                return directory.FullName;
            }
        }

        // Built with --artifacts-path outside the repository: the directory the project was built from.
        var built = typeof(Product).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!;
        Assert.True(File.Exists(Path.Combine(built, "CarpPS.slnx")), $"No CarpPS.slnx above {AppContext.BaseDirectory} nor in {built}.");
        return built;
    }

    private static List<string> ReadProjectAssemblies()
    {
        var solution = XDocument.Load(Path.Combine(RepositoryRoot, "CarpPS.slnx"));
        var names = new List<string>();
        foreach (var path in solution.Descendants("Project").Select(p => (string?)p.Attribute("Path")).OfType<string>())
        {
            if (!path.StartsWith("src/", StringComparison.Ordinal))
            {
                continue;
            }

            var project = XDocument.Load(Path.Combine(RepositoryRoot, path));
            var assemblyName = project.Descendants("AssemblyName").Select(e => e.Value.Trim()).FirstOrDefault();
            names.Add(string.IsNullOrEmpty(assemblyName) ? Path.GetFileNameWithoutExtension(path) : assemblyName);
        }

        Assert.Contains(Engine, names);
        return names;
    }
}
