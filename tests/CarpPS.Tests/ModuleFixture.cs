using System.Diagnostics;
using System.Reflection;

[assembly: AssemblyFixture(typeof(CarpPS.Tests.ModuleFixture))]

namespace CarpPS.Tests;

/// <summary>
/// The module as installed: eng/layout.sh lays it out once per test run into a temporary directory
/// (or CARPPS_MODULE_DIR names a directory already laid out, e.g. by build.sh).
/// </summary>
public sealed class ModuleFixture : IDisposable
{
    private readonly string? _temporary;

    public ModuleFixture()
    {
        RepositoryRoot = typeof(ModuleFixture).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "RepositoryRoot").Value!;
        var given = Environment.GetEnvironmentVariable("CARPPS_MODULE_DIR");
        if (!string.IsNullOrEmpty(given))
        {
            ModuleDirectory = Path.GetFullPath(given);
        }
        else
        {
            _temporary = Directory.CreateTempSubdirectory("carpps-module-").FullName;
            try
            {
                ModuleDirectory = Layout(_temporary);
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        ManifestPath = Path.Combine(ModuleDirectory, "CarpPS.psd1");
        if (!File.Exists(ManifestPath))
        {
            throw new InvalidOperationException($"No CarpPS.psd1 in {ModuleDirectory}.");
        }
    }

    public string RepositoryRoot { get; }

    /// <summary>…/CarpPS/&lt;version&gt;/</summary>
    public string ModuleDirectory { get; }

    public string ManifestPath { get; }

    public void Dispose()
    {
        if (_temporary is not null)
        {
            try
            {
                Directory.Delete(_temporary, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private string Layout(string output)
    {
        // The test build also built src/CarpPS (a ProjectReference); lay out that build, so the tests see the module
        // exactly as it was compiled with them (the working tree may change meanwhile).
        var configuration = typeof(ModuleFixture).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var baseDirectory = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        var artifactsBin = baseDirectory.Parent is { Name: "CarpPS.Tests" } project && project.Parent is { Name: "bin" } bin ? bin.FullName : null;
        var from = artifactsBin is not null
            ? Path.Combine(artifactsBin, "CarpPS", baseDirectory.Name)
            : Path.Combine(RepositoryRoot, "src", "CarpPS", "bin", configuration, baseDirectory.Name);
        if (!File.Exists(Path.Combine(from, "CarpPS.dll")))
        {
            throw new InvalidOperationException($"The module's build output is not where the test build put it: {from}.");
        }

        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryRoot,
        };
        foreach (var argument in new[] { Path.Combine(RepositoryRoot, "eng", "layout.sh"), "--out", output, "--from", from })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"eng/layout.sh failed ({process.ExitCode}):\n{stdout}\n{stderr.Result}");
        }

        return stdout.TrimEnd().Split('\n')[^1];
    }
}
