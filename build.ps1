<#
.SYNOPSIS
    Builds, lays out, tests and packs CarpPS.

.DESCRIPTION
    Tasks:
      Clean    removes out/ and the build artifacts
      Build    builds the solution (artifacts under -ArtifactsPath, never the default bin/obj)
      Layout   lays the module out as installed: <Output>/CarpPS/<version>/ with CarpPS.dll,
               Carp.Engine.dll, Carp.Linux.dll, Carp.Control.dll, SharpPcap.dll, PacketDotNet.dll, CarpPS.psd1,
               CarpPS.format.ps1xml and en-US/
      Test     runs ./build.sh test (every xunit suite, the network suites as root, Pester with pwsh)
      Package  lays out, then packs a PowerShell Gallery-shaped CarpPS.<version>.nupkg into <Output>
      Lab      runs ./build.sh lab

    Layout and Package do the same steps as eng/layout.sh and eng/package.sh, which build.sh uses
    on machines without pwsh. Both check that ModuleVersion in CarpPS.psd1 equals CarpVersion in
    Directory.Build.props, the one version number of the repository.

.EXAMPLE
    ./build.ps1 -Task Layout
    Import-Module ./out/CarpPS/0.1.0/CarpPS.psd1
#>
#Requires -Version 7.6

[CmdletBinding()]
param(
    [ValidateSet('Clean', 'Build', 'Layout', 'Test', 'Package', 'Lab')]
    [string] $Task = 'Build',

    [ValidateSet('Release', 'Debug')]
    [string] $Configuration = 'Release',

    # Where CarpPS/<version>/ and the nupkg go.
    [string] $Output = (Join-Path $PSScriptRoot 'out'),

    # dotnet --artifacts-path: builds never write into the projects' bin/obj (others may build there).
    [string] $ArtifactsPath = (Join-Path $PSScriptRoot 'artifacts')
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

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
    & dotnet @args
    if ($LASTEXITCODE -ne 0) { throw "dotnet $($args -join ' ') failed with exit code $LASTEXITCODE." }
}

function Invoke-BuildSh([string] $Verb) {
    & (Join-Path $PSScriptRoot 'build.sh') $Verb
    if ($LASTEXITCODE -ne 0) { throw "./build.sh $Verb failed with exit code $LASTEXITCODE." }
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

function Invoke-Layout {
    $version = Assert-VersionsAgree
    $publish = Join-Path ([System.IO.Path]::GetTempPath()) "carpps-publish-$([guid]::NewGuid().ToString('n'))"
    try {
        Invoke-Dotnet publish (Join-Path $PSScriptRoot 'src/CarpPS/CarpPS.csproj') -c $Configuration `
            --artifacts-path (Join-Path $ArtifactsPath 'layout') -o $publish --nologo -v quiet
        foreach ($dll in $RequiredDlls) {
            if (-not (Test-Path -LiteralPath (Join-Path $publish $dll))) { throw "$dll is missing from the publish output." }
        }
        if (Test-Path -LiteralPath (Join-Path $publish 'System.Management.Automation.dll')) {
            throw 'The publish output holds System.Management.Automation.dll; the module must use the one of the PowerShell that loads it.'
        }

        $module = Join-Path $Output "CarpPS/$version"
        if (Test-Path -LiteralPath $module) { Remove-Item -LiteralPath $module -Recurse -Force }
        $null = New-Item -ItemType Directory -Path (Join-Path $module 'en-US') -Force
        # Every dll the module needs at run time (PowerShellStandard is a compile-time reference only).
        Copy-Item -Path (Join-Path $publish '*.dll') -Destination $module
        Copy-Item -LiteralPath (Join-Path $PSScriptRoot 'CarpPS.psd1'), (Join-Path $PSScriptRoot 'CarpPS.format.ps1xml') -Destination $module
        Copy-Item -Path (Join-Path $PSScriptRoot 'en-US/*') -Destination (Join-Path $module 'en-US')
        $module
    }
    finally {
        if (Test-Path -LiteralPath $publish) { Remove-Item -LiteralPath $publish -Recurse -Force }
    }
}

function New-Nuspec([hashtable] $Manifest) {
    $tags = [System.Collections.Generic.List[string]]::new()
    $tags.AddRange([string[]]$Manifest.PrivateData.PSData.Tags)
    foreach ($cmdlet in $Manifest.CmdletsToExport) { $tags.Add("PSCmdlet_$cmdlet"); $tags.Add("PSCommand_$cmdlet") }
    $tags.Add('PSModule'); $tags.Add('PSIncludes_Cmdlet')

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
    $module = Invoke-Layout | Select-Object -Last 1
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

switch ($Task) {
    'Clean' { Invoke-Clean }
    'Build' { Invoke-Build }
    'Layout' { Invoke-Layout }
    'Test' { Invoke-BuildSh 'test' }
    'Package' { Invoke-Package }
    'Lab' { Invoke-BuildSh 'lab' }
}
