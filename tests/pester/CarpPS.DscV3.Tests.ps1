#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
    The DSC v3 contract of CarpPS's resource manifests (*.dsc.resource.json), without dsc (not installed here):
    each operation runs exactly as dsc runs it (the manifest's executable and args, in its directory, the
    instance as JSON on stdin), its exit code must be one the manifest declares, and every JSON it prints is
    validated against the manifest's embedded schema with JsonSchema.Net. The YAML configuration example is read
    with YamlDotNet, checked against the schemas and applied through the manifests to two carpd --simulate.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'CarpTestKit.psm1') -Force
    $moduleDir = Get-CarpTestModuleDirectory
    Import-Module (Join-Path $PSScriptRoot 'CarpDscKit.psm1') -Force
    Import-CarpDscTestLibrary
    $Manifests = Get-CarpDscManifest -ModuleDirectory $moduleDir
    $Interface = $Manifests['CarpPS/CarpInterface']
    $Sysctl = $Manifests['CarpPS/CarpSysctl']
    function Read-Bytes([string] $Path) { [Convert]::ToBase64String([System.IO.File]::ReadAllBytes($Path)) }

    # Runs an operation, checks its exit code is declared and every instance it prints fits the schema.
    function Invoke-Checked($Manifest, [string] $Operation, $Instance, [int] $ExitCode = 0) {
        $result = Invoke-CarpDscOperation -Manifest $Manifest -Operation $Operation -Instance $Instance
        $result.Meaning | Should -Not -BeNullOrEmpty -Because "exit code $($result.ExitCode) must be in exitCodes"
        $result.ExitCode | Should -Be $ExitCode -Because $result.Stderr
        $instances = switch ($Operation) { 'export' { $result.Lines } default { @($result.Lines | Select-Object -First 1) } }
        foreach ($line in $instances) { Test-CarpDscJson -Schema $Manifest.Schema -Json $line | Should -BeNullOrEmpty -Because $line }
        $result
    }
}

AfterAll {
    Remove-Module CarpDscKit -ErrorAction SilentlyContinue
}

Describe 'The DSC v3 resource manifests' -Tag 'Dsc' {
    It '<_> declares get, set, test and export, stateAndDiff and an embedded 2020-12 schema' -ForEach @('CarpPS/CarpInterface', 'CarpPS/CarpMaintenance', 'CarpPS/CarpSysctl') {
        $m = $Manifests[$_]
        $m.Data.'$schema' | Should -Be 'https://aka.ms/dsc/schemas/v3/bundled/resource/manifest.json'
        foreach ($operation in 'get', 'set', 'test', 'export') { $m.Data[$operation].executable | Should -Be 'pwsh' }
        $m.Data.set.return | Should -Be 'stateAndDiff'
        $m.Data.set.implementsPretest | Should -BeTrue
        $m.Data.test.return | Should -Be 'stateAndDiff'
        $m.Data.exitCodes.Keys | Should -Contain '0'
        ($m.Schema | ConvertFrom-Json).'$schema' | Should -Be 'https://json-schema.org/draft/2020-12/schema'
        Test-CarpDscSchema $m.Schema | Should -BeNullOrEmpty
    }

    It 'has schemas that refuse what is not an instance' {
        Test-CarpDscJson -Schema $Interface.Schema -Json '{"name":"carp1","vhid":256}' | Should -Not -BeNullOrEmpty
        Test-CarpDscJson -Schema $Interface.Schema -Json '{"vhid":1}' | Should -Not -BeNullOrEmpty
        Test-CarpDscJson -Schema $Interface.Schema -Json '{"name":"carp1","colour":"red"}' | Should -Not -BeNullOrEmpty
        Test-CarpDscJson -Schema $Sysctl.Schema -Json '{"preempt":1}' | Should -Not -BeNullOrEmpty
    }
}

Describe 'The DSC v3 operations against carpd' -Tag 'Dsc' {
    BeforeAll {
        $fw = Start-CarpDscCarpd -Directory $TestDrive -Name 'v3'
        $carp1 = @{ name = 'carp1'; vhid = 1; carpDev = 'em0'; address = @('192.0.2.100/24'); pass = 'lanpasswd'; socketPath = $fw.Socket }
    }
    AfterAll { Stop-CarpDscCarpd $fw }

    It 'gets a missing interface as _exist false' {
        $result = Invoke-Checked $Interface 'get' @{ name = 'carp1'; socketPath = $fw.Socket }
        ($result.Lines[0] | ConvertFrom-Json)._exist | Should -BeFalse
    }

    It 'tests, sets with stateAndDiff, and a second set changes nothing' {
        $test = Invoke-Checked $Interface 'test' $carp1
        ($test.Lines[0] | ConvertFrom-Json)._inDesiredState | Should -BeFalse
        $test.Lines[1] | ConvertFrom-Json | Should -Contain '_exist'

        $set = Invoke-Checked $Interface 'set' $carp1
        $set.Lines.Count | Should -Be 2
        $after = $set.Lines[0] | ConvertFrom-Json
        $after._exist | Should -BeTrue
        $after.hasPass | Should -BeTrue
        $after.vhid | Should -Be 1
        $set.Lines[1] | ConvertFrom-Json | Should -Be @('_exist', 'vhid', 'carpDev', 'address', 'pass')
        $saved = Read-Bytes $fw.Config

        $again = Invoke-Checked $Interface 'set' $carp1
        $again.Lines[1] | Should -Be '[]'
        Read-Bytes $fw.Config | Should -Be $saved
        $test = Invoke-Checked $Interface 'test' $carp1
        ($test.Lines[0] | ConvertFrom-Json)._inDesiredState | Should -BeTrue
        $test.Lines[1] | Should -Be '[]'
    }

    It 'never prints the pass' {
        foreach ($operation in 'get', 'test', 'set') {
            $result = Invoke-Checked $Interface $operation $carp1
            "$($result.Lines) $($result.Stderr)" | Should -Not -Match 'lanpasswd'
            $result.Lines[0] | ConvertFrom-Json | Get-Member -Name pass | Should -BeNullOrEmpty
        }
    }

    It 'reports a wrong pass as the difference and sets it' {
        $wrong = $carp1.Clone()
        $wrong.pass = 'otherpasswd'
        (Invoke-Checked $Interface 'test' $wrong).Lines[1] | ConvertFrom-Json | Should -Be @('pass')
        (Invoke-Checked $Interface 'set' $carp1).Lines[1] | Should -Be '[]'
    }

    It 'sets and tests the sysctls' {
        $preempt = @{ preempt = $true; socketPath = $fw.Socket }
        (Invoke-Checked $Sysctl 'set' $preempt).Lines[1] | ConvertFrom-Json | Should -Be @('preempt')
        (Invoke-Checked $Sysctl 'set' $preempt).Lines[1] | Should -Be '[]'
        ((Invoke-Checked $Sysctl 'test' $preempt).Lines[0] | ConvertFrom-Json)._inDesiredState | Should -BeTrue
        ((Invoke-Checked $Sysctl 'get' $preempt).Lines[0] | ConvertFrom-Json).preempt | Should -BeTrue
    }

    It 'exports one instance per line' {
        # The input selects the carpd (without one, its default socket).
        $carp2 = @{ name = 'carp2'; vhid = 2; carpDev = 'em1'; address = @('198.51.100.100/24'); pass = 'wanpasswd'; socketPath = $fw.Socket }
        (Invoke-Checked $Interface 'set' $carp2).Lines[1] | ConvertFrom-Json | Should -Contain '_exist'
        $export = Invoke-Checked $Interface 'export' @{ socketPath = $fw.Socket }
        ($export.Lines | ConvertFrom-Json).name | Should -Be @('carp1', 'carp2')
        ((Invoke-Checked $Sysctl 'export' @{ socketPath = $fw.Socket }).Lines | ConvertFrom-Json).preempt | Should -Be @($true)
    }

    It 'suspends and resumes with CarpPS/CarpMaintenance' {
        $maintenance = $Manifests['CarpPS/CarpMaintenance']
        $on = @{ name = 'carp1'; maintenance = $true; socketPath = $fw.Socket }
        (Invoke-Checked $maintenance 'set' $on).Lines[1] | ConvertFrom-Json | Should -Be @('maintenance')
        (Invoke-Checked $maintenance 'set' $on).Lines[1] | Should -Be '[]'
        ((Invoke-Checked $maintenance 'test' $on).Lines[0] | ConvertFrom-Json)._inDesiredState | Should -BeTrue
        $off = @{ name = 'carp1'; maintenance = $false; socketPath = $fw.Socket }
        (Invoke-Checked $maintenance 'set' $off).Lines[1] | ConvertFrom-Json | Should -Be @('maintenance')
        ((Invoke-Checked $maintenance 'get' $off).Lines[0] | ConvertFrom-Json).maintenance | Should -BeFalse
    }

    It 'removes with _exist false, once' {
        $absent = @{ name = 'carp1'; _exist = $false; socketPath = $fw.Socket }
        (Invoke-Checked $Interface 'set' $absent).Lines[1] | ConvertFrom-Json | Should -Be @('_exist')
        (Invoke-Checked $Interface 'set' $absent).Lines[1] | Should -Be '[]'
        Get-Content -Raw $fw.Config | Should -Not -Match '(?m)^carp1 '
    }

    It 'exits with the declared codes for bad input and an unreachable carpd' {
        $bad = Invoke-Checked $Interface 'get' '{"name":"carp1","colour":"red"}' -ExitCode 2
        $bad.Stderr | ConvertFrom-Json | ForEach-Object error | Should -Match 'colour'
        $down = Invoke-Checked $Interface 'get' @{ name = 'carp1'; socketPath = (Join-Path $TestDrive 'nobody.sock') } -ExitCode 1
        $down.Stderr | Should -Match 'error'
    }
}

Describe 'The YAML configuration example applied as dsc would' -Tag 'Dsc' {
    BeforeAll {
        $document = ConvertFrom-CarpDscYaml (Get-Content -Raw (Join-Path $PSScriptRoot '../../examples/dsc/firewalls.dsc.config.yaml'))
        # dsc's [parameters('x')] with the values given on its command line, else the defaults.
        function Resolve-Instance($Properties, [hashtable] $Parameters) {
            $resolved = [ordered]@{}
            foreach ($key in $Properties.Keys) {
                $value = $Properties[$key]
                if ($value -is [string] -and $value -match "^\[parameters\('(\w+)'\)\]$") {
                    $name = $Matches[1]
                    $value = $Parameters.ContainsKey($name) ? $Parameters[$name] : $document.parameters[$name].defaultValue
                    if ($null -eq $value) { throw "parameter $name has no value" }
                }
                $resolved[$key] = $value
            }
            $resolved
        }
        function Invoke-Configuration([string] $Operation, [hashtable] $Parameters) {
            foreach ($resource in $document.resources) {
                $instance = Resolve-Instance $resource.properties $Parameters
                [pscustomobject]@{ Name = $resource.name; Result = (Invoke-Checked $Manifests[$resource.type] $Operation $instance) }
            }
        }
        $fw1 = Start-CarpDscCarpd -Directory $TestDrive -Name 'yaml-fw1'
        $fw2 = Start-CarpDscCarpd -Directory $TestDrive -Name 'yaml-fw2'
        $fw1Parameters = @{ lanPass = 'lanpasswd'; wanPass = 'wanpasswd'; socketPath = $fw1.Socket }
        $fw2Parameters = @{ lanPass = 'lanpasswd'; wanPass = 'wanpasswd'; socketPath = $fw2.Socket; advSkew = 128 }
    }
    AfterAll { Stop-CarpDscCarpd $fw1; Stop-CarpDscCarpd $fw2 }

    It 'names only the manifests'' resource types, with instances that fit their schemas' {
        $document.resources.Count | Should -Be 3
        foreach ($resource in $document.resources) {
            $Manifests.Keys | Should -Contain $resource.type
            $instance = Resolve-Instance $resource.properties $fw2Parameters
            Test-CarpDscJson -Schema $Manifests[$resource.type].Schema -Json ($instance | ConvertTo-Json -Depth 5) | Should -BeNullOrEmpty
        }
    }

    It 'is what the README shows' {
        $readme = Get-Content -Raw (Join-Path $PSScriptRoot '../../README.md')
        $block = [regex]::Match($readme, '(?s)```yaml\r?\n(.*?)```').Groups[1].Value
        $shown = ConvertFrom-CarpDscYaml $block
        $shown.resources.Count | Should -Be $document.resources.Count
        for ($i = 0; $i -lt $shown.resources.Count; $i++) {
            $shown.resources[$i].type | Should -Be $document.resources[$i].type
            foreach ($key in $shown.resources[$i].properties.Keys) {
                $shown.resources[$i].properties[$key] | Should -Be $document.resources[$i].properties[$key] -Because "$($shown.resources[$i].name) $key"
            }
        }
    }

    It 'converges fw1 and fw2, then tests true and sets nothing more' {
        foreach ($node in @(@{ Carpd = $fw1; Parameters = $fw1Parameters }, @{ Carpd = $fw2; Parameters = $fw2Parameters })) {
            Invoke-Configuration 'set' $node.Parameters | ForEach-Object { $_.Result.Lines[1] | Should -Not -Be '[]' -Because $_.Name }
            $saved = Read-Bytes $node.Carpd.Config
            Invoke-Configuration 'test' $node.Parameters | ForEach-Object { ($_.Result.Lines[0] | ConvertFrom-Json)._inDesiredState | Should -BeTrue -Because $_.Name }
            Invoke-Configuration 'set' $node.Parameters | ForEach-Object { $_.Result.Lines[1] | Should -Be '[]' -Because $_.Name }
            Read-Bytes $node.Carpd.Config | Should -Be $saved
        }
        Get-Content -Raw $fw1.Config | Should -Match '(?m)^carp1 vhid 1 carpdev em0 '
        Get-Content -Raw $fw1.Config | Should -Not -Match '(?m)^carp\d .*advskew'
        Get-Content -Raw $fw2.Config | Should -Match '(?m)^carp2 vhid 2 carpdev em1 .*advskew 128'
        Get-Content -Raw $fw2.Config | Should -Match '(?m)^net\.inet\.carp\.preempt=1'
    }
}
