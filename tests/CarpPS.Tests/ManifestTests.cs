using System.Diagnostics;
using System.IO.Compression;
using System.Management.Automation;
using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace CarpPS.Tests;

public sealed class ManifestTests(ModuleFixture module)
{
    private static readonly string[] Cmdlets =
    [
        "Connect-CarpService", "Disconnect-CarpService", "Get-CarpAction", "Get-CarpFailoverTest", "Get-CarpInterface", "Get-CarpStatistics", "Get-CarpStatus",
        "Get-CarpSysctl", "Invoke-CarpFailoverTest", "New-CarpInterface", "Register-CarpAction", "Register-CarpEvent", "Register-CarpFailoverTest",
        "Remove-CarpInterface", "Reset-CarpStatistics", "Resume-CarpInterface", "Set-CarpInterface", "Set-CarpSysctl", "Suspend-CarpInterface",
        "Unregister-CarpAction", "Unregister-CarpFailoverTest", "Wait-CarpState", "Watch-CarpNetwork",
        "Add-CarpTracker", "Get-CarpTracker", "Remove-CarpTracker",
    ];

    private string CarpVersion => XDocument.Load(Path.Combine(module.RepositoryRoot, "Directory.Build.props"))
        .Descendants("CarpVersion").Single().Value;

    [Fact]
    public void Test_ModuleManifest_accepts_the_laid_out_manifest()
    {
        using var ps = new PsSession(module, import: false);
        var info = (PSModuleInfo)Assert.Single(ps.Run("Test-ModuleManifest -Path $args[0]", module.ManifestPath).AssertNoErrors().Output).BaseObject;
        Assert.Equal(new Version(CarpVersion), info.Version);
        Assert.Equal(["Core"], info.CompatiblePSEditions);
        Assert.Equal(new Version(7, 6), info.PowerShellVersion);
        Assert.Equal(Cmdlets.Order(StringComparer.Ordinal), info.ExportedCmdlets.Keys.Order(StringComparer.Ordinal));
        Assert.Empty(info.ExportedFunctions);
        Assert.Empty(info.ExportedAliases);
        Assert.Empty(info.ExportedVariables);
        Assert.Equal(["CarpPS.format.ps1xml"], info.ExportedFormatFiles.Select(Path.GetFileName));
        foreach (var tag in new[] { "CARP", "VRRP", "HighAvailability", "Failover", "Linux", "PSEdition_Core" })
        {
            Assert.Contains(tag, info.Tags);
        }

        Assert.False(string.IsNullOrWhiteSpace(info.ReleaseNotes));
        Assert.Null(info.LicenseUri);
        Assert.Null(info.ProjectUri);
        Assert.DoesNotContain("example.invalid", File.ReadAllText(Path.Combine(module.RepositoryRoot, "CarpPS.psd1")), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void The_manifest_exports_every_cmdlet_of_the_assembly_and_nothing_else()
    {
        using var ps = new PsSession(module);
        var assembly = AppDomain.CurrentDomain.GetAssemblies().Single(a => a.GetName().Name == "CarpPS");
        var declared = assembly.GetExportedTypes()
            .Select(t => t.GetCustomAttribute<CmdletAttribute>())
            .OfType<CmdletAttribute>()
            .Select(a => $"{a.VerbName}-{a.NounName}")
            .Order(StringComparer.Ordinal);
        Assert.Equal(Cmdlets.Order(StringComparer.Ordinal), declared);
        Assert.Equal(Cmdlets.Order(StringComparer.Ordinal), ps.Run("(Get-Command -Module CarpPS).Name").Output.Select(o => o.ToString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Cmdlets_follow_PowerShell_conventions()
    {
        using var ps = new PsSession(module);
        var approved = typeof(VerbsCommon).Assembly.GetExportedTypes()
            .Where(t => t.Name.StartsWith("Verbs", StringComparison.Ordinal))
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static))
            .Select(f => (string)f.GetValue(null)!)
            .ToHashSet();
        var changing = new[] { "New-CarpInterface", "Set-CarpInterface", "Remove-CarpInterface", "Set-CarpSysctl", "Reset-CarpStatistics", "Connect-CarpService", "Disconnect-CarpService",
            "Register-CarpAction", "Unregister-CarpAction", "Suspend-CarpInterface", "Resume-CarpInterface",
            "Invoke-CarpFailoverTest", "Register-CarpFailoverTest", "Unregister-CarpFailoverTest", "Add-CarpTracker", "Remove-CarpTracker" };
        foreach (var cmdlet in Help.HelpTests.Cmdlets(ps).Values)
        {
            Assert.Contains(cmdlet.Verb, approved);
            Assert.StartsWith("Carp", cmdlet.Noun, StringComparison.Ordinal);
            Assert.NotEmpty(cmdlet.OutputType);
            // Actions are listed and removed by Id, whatever engine they watch; the failover tests' history and schedules are files.
            if (cmdlet.Noun != "CarpService" && cmdlet.Name is not ("Get-CarpAction" or "Unregister-CarpAction" or "Get-CarpFailoverTest" or
                "Register-CarpFailoverTest" or "Unregister-CarpFailoverTest"))
            {
                Assert.True(cmdlet.Parameters.ContainsKey("Session"), $"{cmdlet.Name} has no -Session");
            }

            Assert.Equal(changing.Contains(cmdlet.Name), cmdlet.Parameters.ContainsKey("WhatIf"));
        }

        foreach (var name in new[] { "Set-CarpInterface", "Remove-CarpInterface", "Suspend-CarpInterface", "Invoke-CarpFailoverTest" })
        {
            Assert.True(Help.HelpTests.Cmdlets(ps)[name].Parameters.ContainsKey("Force"), $"{name} has no -Force");
        }

        // -Profile offers exactly the engine's compatibility profiles.
        foreach (var name in new[] { "New-CarpInterface", "Set-CarpInterface" })
        {
            var profile = Help.HelpTests.Cmdlets(ps)[name].Parameters["Profile"];
            var set = profile.Attributes.OfType<ValidateSetAttribute>().Single();
            Assert.Equal(Carp.Engine.Core.CompatibilityProfile.All.Select(p => p.Name), set.ValidValues);
        }

        // -Pass is a SecureString, with a transformation that takes a plain string.
        foreach (var name in new[] { "New-CarpInterface", "Set-CarpInterface" })
        {
            var pass = Help.HelpTests.Cmdlets(ps)[name].Parameters["Pass"];
            Assert.Equal(typeof(System.Security.SecureString), pass.ParameterType);
            Assert.Contains(pass.Attributes, a => a is ArgumentTransformationAttribute);
        }
    }

    [Fact]
    public void The_layout_is_the_installed_module()
    {
        var version = Path.GetFileName(module.ModuleDirectory);
        Assert.Equal(CarpVersion, version);
        Assert.Equal("CarpPS", Path.GetFileName(Path.GetDirectoryName(module.ModuleDirectory)));
        foreach (var file in new[] { "CarpPS.dll", "Carp.Engine.dll", "SharpPcap.dll", "PacketDotNet.dll", "CarpPS.psd1", "CarpPS.format.ps1xml",
            "en-US/CarpPS.dll-Help.xml", "en-US/about_CarpPS.help.txt", "en-US/about_CarpPS_Events.help.txt",
            "CarpPS.Dsc.psm1", "CarpPS.Dsc.ps1", "CarpInterface.dsc.resource.json", "CarpMaintenance.dsc.resource.json", "CarpSysctl.dsc.resource.json" })
        {
            Assert.True(File.Exists(Path.Combine(module.ModuleDirectory, file)), $"{file} is missing from the layout");
        }

        Assert.False(File.Exists(Path.Combine(module.ModuleDirectory, "System.Management.Automation.dll")));
    }

    [Fact]
    public void Layout_refuses_a_manifest_whose_version_differs_from_CarpVersion()
    {
        // Run eng/layout.sh on a copy of the repository's top files with a wrong ModuleVersion.
        var copy = Directory.CreateTempSubdirectory("carpps-version-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(copy, "eng"));
            File.Copy(Path.Combine(module.RepositoryRoot, "eng", "layout.sh"), Path.Combine(copy, "eng", "layout.sh"));
            File.Copy(Path.Combine(module.RepositoryRoot, "Directory.Build.props"), Path.Combine(copy, "Directory.Build.props"));
            File.WriteAllText(Path.Combine(copy, "CarpPS.psd1"),
                File.ReadAllText(module.ManifestPath).Replace($"ModuleVersion        = '{CarpVersion}'", "ModuleVersion        = '9.9.9'", StringComparison.Ordinal));
            var (code, output) = Bash(Path.Combine(copy, "eng", "layout.sh"), "--from", module.ModuleDirectory, "--out", Path.Combine(copy, "out"));
            Assert.NotEqual(0, code);
            Assert.Contains("differs from CarpVersion", output);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public void Package_makes_a_gallery_shaped_nupkg()
    {
        var output = Directory.CreateTempSubdirectory("carpps-package-").FullName;
        try
        {
            var (code, text) = Bash(Path.Combine(module.RepositoryRoot, "eng", "package.sh"), "--module", module.ModuleDirectory, "--out", output);
            Assert.True(code == 0, text);
            var path = text.TrimEnd().Split('\n')[^1];
            Assert.Equal($"CarpPS.{CarpVersion}.nupkg", Path.GetFileName(path));
            using var zip = ZipFile.OpenRead(path);
            var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
            foreach (var entry in new[] { "CarpPS.nuspec", "[Content_Types].xml", "_rels/.rels", "CarpPS.psd1", "CarpPS.dll", "Carp.Engine.dll",
                "SharpPcap.dll", "PacketDotNet.dll", "CarpPS.format.ps1xml", "en-US/CarpPS.dll-Help.xml",
                "CarpPS.Dsc.psm1", "CarpPS.Dsc.ps1", "CarpInterface.dsc.resource.json", "CarpMaintenance.dsc.resource.json", "CarpSysctl.dsc.resource.json" })
            {
                Assert.Contains(entry, entries);
            }

            using var nuspec = zip.GetEntry("CarpPS.nuspec")!.Open();
            var metadata = XDocument.Load(nuspec).Root!.Elements().Single();
            string Value(string name) => metadata.Elements().Single(e => e.Name.LocalName == name).Value;
            Assert.Equal("CarpPS", Value("id"));
            Assert.Equal(CarpVersion, Value("version"));
            var tags = Value("tags").Split(' ');
            Assert.Contains("PSModule", tags);
            Assert.Contains("PSCmdlet_New-CarpInterface", tags);
            Assert.Contains("PSDscResource_CarpInterface", tags);
            Assert.Contains("PSDscResource_CarpSysctl", tags);
            Assert.Contains("PSIncludes_DscResource", tags);
            Assert.Contains("CARP", tags);
            Assert.False(string.IsNullOrWhiteSpace(Value("description")));
            Assert.Contains("First release", Value("releaseNotes"));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public void Build_ps1_parses_and_offers_the_tasks()
    {
        var path = Path.Combine(module.RepositoryRoot, "build.ps1");
        var ast = System.Management.Automation.Language.Parser.ParseFile(path, out _, out var errors);
        Assert.Empty(errors);
        var task = ast.ParamBlock!.Parameters.Single(p => p.Name.VariablePath.UserPath == "Task");
        var set = task.Attributes.OfType<System.Management.Automation.Language.AttributeAst>().Single(a => a.TypeName.Name == "ValidateSet");
        Assert.Equal(["Clean", "Build", "Layout", "Test", "Package", "Lab"],
            set.PositionalArguments.Select(a => ((System.Management.Automation.Language.StringConstantExpressionAst)a).Value));
        Assert.Matches(new Regex(@"\$Task\s*=\s*'Build'"), task.Extent.Text);
    }

    private static (int Code, string Output) Bash(params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }
}
