#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
    The CarpPS nupkg, from either packer (build.ps1 -Task Package, and ./build.sh package, which runs
    eng/layout.sh and eng/package.sh), is a package the tools accept: dotnet restore takes it from a local
    folder feed, and PSResourceGet saves and installs it from a local repository, after which
    Import-Module CarpPS finds it by name and it works (Connect-CarpService -Simulation: no root, no packets).

    Tagged BuildScript: the packers build (incrementally, into the same artifacts as the outer run), so
    ./build.sh test runs these in its second Pester run (PesterBuild), after the network suites.
    Everything goes into a temporary directory: the feed, the restore's packages, and HOME and the XDG
    directories of the child pwsh, so registering a repository never touches the real user's settings.
    No network: the restore's only source is the local feed, PSResourceGet only asks the local repository.
#>

BeforeDiscovery {
    $script:Packers = @(
        @{ Packer = 'build.ps1 -Task Package' }
        @{ Packer = 'build.sh package (eng/package.sh)' }
    )
}

Describe 'The nupkg of <Packer>' -Tag 'Package', 'BuildScript' -ForEach $Packers {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'BuildScriptKit.ps1')
        $work = New-TestDirectory 'carpps-package-test-'
        $out = Join-Path $work 'out'
        $pack = if ($Packer -like 'build.ps1*') {
            Invoke-BuildPs1 -ArgumentList '-Task', 'Package', '-Output', $out, '-ArtifactsPath', $Artifacts, '-Configuration', $Configuration
        } else {
            Invoke-Child -FilePath 'bash' -ArgumentList (Join-Path $Repo 'build.sh'), 'package' `
                -Environment @{ CARP_OUT = $out; CARP_ARTIFACTS = $Artifacts; CONFIGURATION = $Configuration }
        }
        $nupkg = Join-Path $out "CarpPS.$Version.nupkg"

        # The folder feed (for dotnet restore) and the local repository (for PSResourceGet) hold only this package.
        $feed = Join-Path $work 'feed'
        $null = New-Item -ItemType Directory -Path $feed
        if (Test-Path -LiteralPath $nupkg) { Copy-Item -LiteralPath $nupkg -Destination $feed }

        # The child pwsh's home: .NET reports an application-data folder only when it exists (else
        # PSResourceGet writes its repository store relative to the working directory), so create them all.
        $home_ = Join-Path $work 'home'
        $childEnvironment = @{
            HOME            = $home_
            XDG_DATA_HOME   = Join-Path $home_ '.local/share'
            XDG_CONFIG_HOME = Join-Path $home_ '.config'
            XDG_CACHE_HOME  = Join-Path $home_ '.cache'
            PSModulePath    = $null
        }
        foreach ($name in 'XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME') { $null = New-Item -ItemType Directory -Path $childEnvironment[$name] -Force }
        $childDirectory = Join-Path $work 'cwd'
        $null = New-Item -ItemType Directory -Path $childDirectory
        $repository = "CarpPSTest$([guid]::NewGuid().ToString('n').Substring(0, 12))"
        $savePath = Join-Path $work 'saved'
        $null = New-Item -ItemType Directory -Path $savePath
        $installPath = Join-Path $home_ '.local/share/powershell/Modules'

        # A child pwsh with the temporary home runs a script; its last line of output is JSON.
        function Invoke-ChildPwsh([string] $Script, [string[]] $ArgumentList = @()) {
            $path = Join-Path $work "child-$([guid]::NewGuid().ToString('n')).ps1"
            Set-Content -LiteralPath $path -Value $Script
            Invoke-Child -FilePath $Pwsh -ArgumentList (@('-NoLogo', '-NoProfile', '-NonInteractive', '-File', $path) + $ArgumentList) `
                -Environment $childEnvironment -WorkingDirectory $childDirectory -TimeoutSeconds 300
        }
        function ConvertFrom-LastLine([string] $Text) {
            (($Text.Trim() -split "`r?`n") | Select-Object -Last 1) | ConvertFrom-Json
        }

        $importScript = @'
param([string] $ModulePath)
$ErrorActionPreference = 'Stop'
$env:PSModulePath = $ModulePath + [System.IO.Path]::PathSeparator + $env:PSModulePath
Import-Module CarpPS
$module = Get-Module CarpPS
Connect-CarpService -Simulation -CarpDev pk0
New-CarpInterface -Name carp1 -Vhid 9 -CarpDev pk0 -Address 192.0.2.100/24 -AdvSkew 40
$status = Get-CarpStatus -Name carp1
Disconnect-CarpService
[pscustomobject]@{
    Version    = $module.Version.ToString()
    ModuleBase = $module.ModuleBase
    Commands   = @(Get-Command -Module CarpPS | ForEach-Object Name)
    Status     = [pscustomobject]@{ Name = $status.Name; Vhid = [int]$status.Vhid; CarpDev = $status.CarpDev; State = $status.State.ToString(); AdvSkew = [int]$status.AdvSkew }
} | ConvertTo-Json -Compress -Depth 4
'@
    }

    AfterAll {
        Remove-TestDirectory $work
    }

    It 'is packed as CarpPS.<version>.nupkg' {
        $pack.ExitCode | Should -Be 0 -Because (Get-Tail $pack.Text)
        $nupkg | Should -Exist
        (Get-Tail $pack.Output 1).Trim() | Should -Be $nupkg
    }

    It 'restores with dotnet restore from a local folder feed' {
        $probe = Join-Path $work 'probe'
        $null = New-Item -ItemType Directory -Path $probe
        # Empty Directory.Build.* files stop MSBuild from looking further up for ones that are not ours.
        foreach ($file in 'Directory.Build.props', 'Directory.Build.targets', 'Directory.Packages.props') {
            Set-Content -LiteralPath (Join-Path $probe $file) -Value '<Project />'
        }
        Set-Content -LiteralPath (Join-Path $probe 'Probe.csproj') -Value @"
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <NuGetAudit>false</NuGetAudit>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="CarpPS" Version="[$Version]" />
  </ItemGroup>
</Project>
"@
        # The only source is the feed; nothing comes from or goes to nuget.org.
        $config = Join-Path $probe 'NuGet.Config'
        Set-Content -LiteralPath $config -Value @"
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="carpps-local" value="$feed" />
  </packageSources>
</configuration>
"@
        $packages = Join-Path $work 'packages'
        $restore = Invoke-Child -FilePath 'dotnet' -ArgumentList 'restore', (Join-Path $probe 'Probe.csproj'), '--configfile', $config, '--packages', $packages `
            -Environment @{ NUGET_PACKAGES = $packages } -WorkingDirectory $probe -TimeoutSeconds 300
        $restore.ExitCode | Should -Be 0 -Because (Get-Tail $restore.Text)

        $restored = Join-Path $packages "carpps/$Version"
        foreach ($file in 'CarpPS.psd1', 'CarpPS.dll', 'Carp.Engine.dll', 'CarpPS.format.ps1xml', 'en-US/CarpPS.dll-Help.xml') {
            Join-Path $restored $file | Should -Exist
        }
        (Import-PowerShellDataFile -LiteralPath (Join-Path $restored 'CarpPS.psd1')).ModuleVersion | Should -Be $Version
    }

    It 'saves with Save-PSResource and installs with Install-PSResource from a local repository' {
        $install = Invoke-ChildPwsh -ArgumentList '-Repository', $repository, '-Feed', $feed, '-SavePath', $savePath -Script @'
param([string] $Repository, [string] $Feed, [string] $SavePath)
$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name $Repository -Uri $Feed -Trusted
$found = Find-PSResource -Name CarpPS -Repository $Repository
Save-PSResource -Name CarpPS -Repository $Repository -Path $SavePath -TrustRepository
Install-PSResource -Name CarpPS -Repository $Repository -Scope CurrentUser -TrustRepository
[pscustomobject]@{
    Found     = @($found | ForEach-Object { [pscustomobject]@{ Name = $_.Name; Version = $_.Version.ToString(); Type = $_.Type.ToString(); Description = $_.Description } })
    Installed = @(Get-InstalledPSResource -Name CarpPS | ForEach-Object { [pscustomobject]@{ Version = $_.Version.ToString(); Location = $_.InstalledLocation } })
} | ConvertTo-Json -Compress -Depth 4
'@
        $install.ExitCode | Should -Be 0 -Because (Get-Tail $install.Text)
        $result = ConvertFrom-LastLine $install.Output
        # What PSResourceGet read from the package's nuspec.
        $result.Found.Count | Should -Be 1
        $result.Found[0].Name | Should -BeExactly 'CarpPS'
        $result.Found[0].Version | Should -Be $Version
        $result.Found[0].Type | Should -Be 'Module'
        $result.Found[0].Description | Should -Match 'CARP'
        $result.Installed.Version | Should -Be $Version
        $result.Installed.Location | Should -Be $installPath

        Join-Path $savePath "CarpPS/$Version/CarpPS.psd1" | Should -Exist
        Join-Path $savePath "CarpPS/$Version/CarpPS.dll" | Should -Exist
        Join-Path $installPath "CarpPS/$Version/CarpPS.psd1" | Should -Exist
        Join-Path $installPath "CarpPS/$Version/CarpPS.dll" | Should -Exist

        # The repository went into the temporary home's store, not the real user's or the working directory.
        Join-Path $childEnvironment.XDG_DATA_HOME 'PSResourceGet/PSResourceRepository.xml' | Should -FileContentMatch $repository
        Join-Path $childDirectory 'PSResourceGet' | Should -Not -Exist
        $realStore = Join-Path ([Environment]::GetFolderPath('LocalApplicationData')) 'PSResourceGet/PSResourceRepository.xml'
        if (Test-Path -LiteralPath $realStore) { $realStore | Should -Not -FileContentMatch $repository }
    }

    It 'imports by name from the Save-PSResource folder and works' {
        $import = Invoke-ChildPwsh -Script $importScript -ArgumentList '-ModulePath', $savePath
        $import.ExitCode | Should -Be 0 -Because (Get-Tail $import.Text)
        $result = ConvertFrom-LastLine $import.Output
        $result.Version | Should -Be $Version
        $result.ModuleBase | Should -Be (Join-Path $savePath "CarpPS/$Version")
        $result.Commands | Should -Contain 'New-CarpInterface'
        $result.Commands | Should -Contain 'Get-CarpStatus'
        $result.Status.Name | Should -Be 'carp1'
        $result.Status.Vhid | Should -Be 9
        $result.Status.CarpDev | Should -Be 'pk0'
        $result.Status.AdvSkew | Should -Be 40
        $result.Status.State | Should -BeIn 'Init', 'Backup', 'Master'
    }

    It 'imports by name from the Install-PSResource location and works' {
        $import = Invoke-ChildPwsh -Script $importScript -ArgumentList '-ModulePath', $installPath
        $import.ExitCode | Should -Be 0 -Because (Get-Tail $import.Text)
        $result = ConvertFrom-LastLine $import.Output
        $result.Version | Should -Be $Version
        $result.ModuleBase | Should -Be (Join-Path $installPath "CarpPS/$Version")
        $result.Commands | Should -Contain 'New-CarpInterface'
        $result.Status.Name | Should -Be 'carp1'
        $result.Status.Vhid | Should -Be 9
        $result.Status.State | Should -BeIn 'Init', 'Backup', 'Master'
    }
}
