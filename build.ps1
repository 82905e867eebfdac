<#
.SYNOPSIS
    Builds, lays out, tests and packs CarpPS.

.DESCRIPTION
    Tasks:
      Clean    removes -Output (out/) and -ArtifactsPath (artifacts/)
      Build    builds the solution (artifacts under -ArtifactsPath, never the default bin/obj)
      Layout   builds (incrementally), then lays the module out as installed from the build output of
               src/CarpPS: <Output>/CarpPS/<version>/ with CarpPS.dll, Carp.Engine.dll, Carp.Linux.dll,
               Carp.Control.dll, SharpPcap.dll, PacketDotNet.dll, CarpPS.psd1, CarpPS.format.ps1xml, en-US/ and the
               DSC resources (dsc/: CarpPS.Dsc.psm1, CarpPS.Dsc.ps1, *.dsc.resource.json)
      Test     runs ./build.sh test (every xunit suite, the network suites as root, Pester with pwsh), or only
               the suites named by -Suite
      Package  lays out, then packs a PowerShell Gallery-shaped CarpPS.<version>.nupkg into <Output>
      Lab      runs ./build.sh lab, passing -LabArguments (or the arguments after the named ones) to the lab

    Layout and Package do the same steps as eng/layout.sh --from and eng/package.sh, which build.sh uses
    on machines without pwsh. Both check that ModuleVersion in CarpPS.psd1 equals CarpVersion in
    Directory.Build.props, the one version number of the repository. Test and Lab hand -Configuration,
    -ArtifactsPath and -Output to build.sh (CONFIGURATION, CARP_ARTIFACTS, CARP_OUT), so both scripts build
    into the same place.

.PARAMETER Task
    What to do: Clean, Build, Layout, Test, Package or Lab (default Build).

.PARAMETER Configuration
    The build configuration, Release (default) or Debug.

.PARAMETER Output
    Where CarpPS/<version>/ and the nupkg go, and what Clean removes (default $env:CARP_OUT, else out/).

.PARAMETER ArtifactsPath
    dotnet --artifacts-path of every build: builds never write into the projects' bin/obj (others may build
    there). Clean removes it. Default $env:CARP_ARTIFACTS, else artifacts/.

.PARAMETER Suite
    Only with -Task Test: run only these suites (build.sh's CARP_TEST_SUITES): Carp.Engine.Tests,
    Carp.Architecture.Tests, Carpd.Tests, Carp.Network.Tests, CarpPS.Tests, Pester (the Pester tests
    except those tagged BuildScript) and PesterBuild (those tagged BuildScript: they run this script and
    eng/package.sh, after the other suites). Default: $env:CARP_TEST_SUITES if set, else all of them. The
    closing "N passed, N failed, N skipped" line counts the suites that ran.

.PARAMETER LabArguments
    Only with -Task Lab: arguments for the lab, e.g. -LabArguments --runs, 5 or, after the named
    parameters, ./build.ps1 -Task Lab --peer ucarp (--peer ours|ucarp, --ipv6, --advbase N, --advskew N,
    --runs N, --simulate).

.EXAMPLE
    ./build.ps1 -Task Layout
    Import-Module ./out/CarpPS/0.1.0/CarpPS.psd1

.EXAMPLE
    ./build.ps1 -Task Test -Suite Carp.Architecture.Tests, Pester
    Runs two suites and prints their summary lines and the closing line.

.EXAMPLE
    ./build.ps1 -Task Lab --runs 5
    The failover lab, five kills of the master, with a summary of the takeover times.
#>
#Requires -Version 7.6

[CmdletBinding(PositionalBinding = $false)]
param(
    [Parameter(Position = 0)]
    [ValidateSet('Clean', 'Build', 'Layout', 'Test', 'Package', 'Lab')]
    [string] $Task = 'Build',

    [ValidateSet('Release', 'Debug')]
    [string] $Configuration = 'Release',

    # Where CarpPS/<version>/ and the nupkg go.
    [string] $Output = ($env:CARP_OUT ? $env:CARP_OUT : (Join-Path $PSScriptRoot 'out')),

    # dotnet --artifacts-path: builds never write into the projects' bin/obj (others may build there).
    [string] $ArtifactsPath = ($env:CARP_ARTIFACTS ? $env:CARP_ARTIFACTS : (Join-Path $PSScriptRoot 'artifacts')),

    # -Task Test: the suites to run (build.sh's CARP_TEST_SUITES).
    [ValidateSet('Carp.Engine.Tests', 'Carp.Architecture.Tests', 'Carpd.Tests', 'Carp.Network.Tests', 'CarpPS.Tests', 'Pester', 'PesterBuild')]
    [string[]] $Suite,

    # -Task Lab: the lab's own arguments.
    [Parameter(ValueFromRemainingArguments)]
    [string[]] $LabArguments
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
# Absolute, whatever the caller's directory: dotnet, build.sh and the zip writer all get these paths.
$Output = [System.IO.Path]::GetFullPath($Output, (Get-Location).ProviderPath)
$ArtifactsPath = [System.IO.Path]::GetFullPath($ArtifactsPath, (Get-Location).ProviderPath)

$RequiredDlls = 'CarpPS.dll', 'Carp.Engine.dll', 'Carp.Linux.dll', 'Carp.Control.dll', 'SharpPcap.dll', 'PacketDotNet.dll'

function Get-CarpVersion {
    $props = [xml](Get-Content -Path (Join-Path $PSScriptRoot 'Directory.Build.props') -Raw)
    $node = $props.SelectSingleNode('//CarpVersion')
    if (-not $node) { throw 'Directory.Build.props has no <CarpVersion>.' }
    $node.InnerText.Trim()
}

function Assert-VersionsAgree {
    $version = Get-CarpVersion
    $manifest = Import-PowerShellDataFile -Path (Join-Path $PSScriptRoot 'CarpPS.psd1')
    if ($manifest.ModuleVersion -ne $version) {
        throw "CarpPS.psd1 ModuleVersion '$($manifest.ModuleVersion)' differs from CarpVersion '$version' in Directory.Build.props; make them equal."
    }
    $version
}

function Invoke-Dotnet {
    # To the host: the tasks' functions return only their results (the module directory, the package).
    & dotnet @args | Out-Host
    if ($LASTEXITCODE -ne 0) { throw "dotnet $($args -join ' ') failed with exit code $LASTEXITCODE." }
}

# Runs ./build.sh <verb> with this script's configuration, artifacts and output (and $Environment on top).
function Invoke-BuildSh([string] $Verb, [string[]] $Arguments = @(), [hashtable] $Environment = @{}) {
    $variables = @{ CONFIGURATION = $Configuration; CARP_ARTIFACTS = $ArtifactsPath; CARP_OUT = $Output } + $Environment
    $saved = @{}
    foreach ($name in $variables.Keys) {
        $saved[$name] = [Environment]::GetEnvironmentVariable($name)
        [Environment]::SetEnvironmentVariable($name, $variables[$name])
    }
    try {
        & (Join-Path $PSScriptRoot 'build.sh') $Verb @Arguments | Out-Host
        if ($LASTEXITCODE -ne 0) { throw "./build.sh $Verb $($Arguments -join ' ') failed with exit code $LASTEXITCODE." }
    }
    finally {
        foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
    }
}

function Invoke-Clean {
    foreach ($path in $Output, $ArtifactsPath) {
        if (Test-Path -LiteralPath $path) { Remove-Item -LiteralPath $path -Recurse -Force }
    }
}

function Invoke-Build {
    $null = Assert-VersionsAgree
    Invoke-Dotnet build (Join-Path $PSScriptRoot 'CarpPS.slnx') -c $Configuration --artifacts-path $ArtifactsPath --nologo
}

# Lays the module out from the (incremental) build's output of src/CarpPS, like eng/layout.sh --from:
# no separate publish, so it is as cheap as a build that has nothing to do.
function Invoke-Layout {
    $version = Assert-VersionsAgree
    Invoke-Build
    $from = Join-Path $ArtifactsPath "bin/CarpPS/$($Configuration.ToLowerInvariant())"
    foreach ($dll in $RequiredDlls) {
        if (-not (Test-Path -LiteralPath (Join-Path $from $dll))) { throw "$dll is missing from the build output $from." }
    }
    if (Test-Path -LiteralPath (Join-Path $from 'System.Management.Automation.dll')) {
        throw "The build output $from holds System.Management.Automation.dll; the module must use the one of the PowerShell that loads it."
    }

    $module = Join-Path $Output "CarpPS/$version"
    if (Test-Path -LiteralPath $module) { Remove-Item -LiteralPath $module -Recurse -Force }
    $null = New-Item -ItemType Directory -Path (Join-Path $module 'en-US') -Force
    # Every dll the module needs at run time (PowerShellStandard is a compile-time reference only).
    Copy-Item -Path (Join-Path $from '*.dll') -Destination $module
    # The native Skia and HarfBuzz libraries of ScottPlot (the failover test's pictures), for glibc Linux on x64 and arm64.
    foreach ($rid in 'linux-x64', 'linux-arm64') {
        $native = Join-Path $from "runtimes/$rid/native"
        if (Test-Path -LiteralPath $native) {
            $null = New-Item -ItemType Directory -Force -Path (Join-Path $module "runtimes/$rid/native")
            Copy-Item -Path (Join-Path $native '*.so') -Destination (Join-Path $module "runtimes/$rid/native")
        }
    }
    Copy-Item -LiteralPath (Join-Path $PSScriptRoot 'CarpPS.psd1'), (Join-Path $PSScriptRoot 'CarpPS.format.ps1xml') -Destination $module
    # The DSC resources: the classes (a nested module), DSC v3's entry script and its resource manifests.
    Copy-Item -Path (Join-Path $PSScriptRoot 'dsc/CarpPS.Dsc.psm1'), (Join-Path $PSScriptRoot 'dsc/CarpPS.Dsc.ps1'), (Join-Path $PSScriptRoot 'dsc/*.dsc.resource.json') -Destination $module
    Copy-Item -Path (Join-Path $PSScriptRoot 'en-US/*') -Destination (Join-Path $module 'en-US')
    (Resolve-Path -LiteralPath $module).ProviderPath
}

function New-Nuspec([hashtable] $Manifest) {
    $tags = [System.Collections.Generic.List[string]]::new()
    $tags.AddRange([string[]]$Manifest.PrivateData.PSData.Tags)
    foreach ($cmdlet in $Manifest.CmdletsToExport) { $tags.Add("PSCmdlet_$cmdlet"); $tags.Add("PSCommand_$cmdlet") }
    foreach ($resource in $Manifest.DscResourcesToExport) { $tags.Add("PSDscResource_$resource") }
    $tags.Add('PSModule'); $tags.Add('PSIncludes_Cmdlet'); $tags.Add('PSIncludes_DscResource')

    $ns = 'http://schemas.microsoft.com/packaging/2011/08/nuspec.xsd'
    $xml = [System.Xml.XmlDocument]::new()
    $null = $xml.AppendChild($xml.CreateXmlDeclaration('1.0', 'utf-8', $null))
    $package = $xml.AppendChild($xml.CreateElement('package', $ns))
    $metadata = $package.AppendChild($xml.CreateElement('metadata', $ns))
    $values = [ordered]@{
        id                       = 'CarpPS'
        version                  = $Manifest.ModuleVersion
        authors                  = $Manifest.Author
        owners                   = $Manifest.Author
        requireLicenseAcceptance = 'false'
        description              = $Manifest.Description
        releaseNotes             = $Manifest.PrivateData.PSData.ReleaseNotes.Trim()
        copyright                = $Manifest.Copyright
        tags                     = $tags -join ' '
    }
    foreach ($key in $values.Keys) {
        $element = $metadata.AppendChild($xml.CreateElement($key, $ns))
        $element.InnerText = $values[$key]
    }
    # A StringWriter would declare utf-16; the nuspec is written as UTF-8, so say so.
    $stream = [System.IO.MemoryStream]::new()
    $writer = [System.Xml.XmlWriter]::Create($stream, [System.Xml.XmlWriterSettings]@{ Encoding = [System.Text.UTF8Encoding]::new($false); Indent = $true })
    $xml.Save($writer)
    $writer.Dispose()
    [System.Text.Encoding]::UTF8.GetString($stream.ToArray())
}

function Add-ZipText([System.IO.Compression.ZipArchive] $Zip, [string] $Name, [string] $Text) {
    $stream = $Zip.CreateEntry($Name).Open()
    try {
        $bytes = [System.Text.UTF8Encoding]::new($false).GetBytes($Text)
        $stream.Write($bytes, 0, $bytes.Length)
    }
    finally { $stream.Dispose() }
}

function Invoke-Package {
    $module = Invoke-Layout
    $manifest = Import-PowerShellDataFile -Path (Join-Path $module 'CarpPS.psd1')
    $package = Join-Path $Output "CarpPS.$($manifest.ModuleVersion).nupkg"
    if (Test-Path -LiteralPath $package) { Remove-Item -LiteralPath $package -Force }

    $zip = [System.IO.Compression.ZipFile]::Open($package, [System.IO.Compression.ZipArchiveMode]::Create)
    try {
        $root = (Resolve-Path -LiteralPath $module).Path
        foreach ($file in Get-ChildItem -LiteralPath $root -File -Recurse) {
            $name = [System.IO.Path]::GetRelativePath($root, $file.FullName).Replace('\', '/')
            $null = [System.IO.Compression.ZipFileExtensions]::CreateEntryFromFile($zip, $file.FullName, $name)
        }
        Add-ZipText $zip 'CarpPS.nuspec' (New-Nuspec $manifest)
        # The OPC parts every nupkg has (the same files eng/package.sh uses).
        $parts = Join-Path $PSScriptRoot 'eng/package'
        foreach ($file in Get-ChildItem -LiteralPath $parts -File -Recurse -Force) {
            $name = [System.IO.Path]::GetRelativePath($parts, $file.FullName).Replace('\', '/')
            $null = [System.IO.Compression.ZipFileExtensions]::CreateEntryFromFile($zip, $file.FullName, $name)
        }
    }
    finally { $zip.Dispose() }
    $package
}

if ($Suite -and $Task -ne 'Test') { throw "-Suite goes with -Task Test, not -Task $Task." }
if ($LabArguments -and $Task -ne 'Lab') { throw "-Task $Task takes no further arguments ('$($LabArguments -join ' ')'); only -Task Lab passes them on." }

switch ($Task) {
    'Clean' { Invoke-Clean }
    'Build' { Invoke-Build }
    'Layout' { Invoke-Layout }
    # build.sh test, the same run as ./build.sh test; -Suite becomes its CARP_TEST_SUITES.
    'Test' { Invoke-BuildSh 'test' -Environment ($Suite ? @{ CARP_TEST_SUITES = $Suite -join ' ' } : @{}) }
    'Package' { Invoke-Package }
    'Lab' { Invoke-BuildSh 'lab' -Arguments $LabArguments }
}
