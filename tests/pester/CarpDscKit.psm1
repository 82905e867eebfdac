# What the DSC tests (CarpPS.Dsc.Tests.ps1, CarpPS.DscV3.Tests.ps1) share: a carpd on a simulated LAN with a
# temporary socket and configuration file, running a DSC v3 resource manifest's operation the way dsc runs it,
# JSON Schema validation with JsonSchema.Net (the one pwsh ships and Test-Json uses: another version cannot be
# loaded beside it) and a YAML reader with YamlDotNet (restored for tests/CarpPS.Tests and copied into its build
# output, from where it is loaded). tests/CarpPS.Tests/DscManifestTests.cs checks the manifests and the YAML
# example with JsonSchema.Net's NuGet package too.

Import-Module (Join-Path $PSScriptRoot 'CarpTestKit.psm1')

function Import-CarpDscTestLibrary {
    <# Loads pwsh's JsonSchema.Net, and YamlDotNet from the CarpPS.Tests build output ($env:CARP_DSC_TEST_LIBS to override). #>
    $null = [System.Reflection.Assembly]::Load('JsonSchema.Net')
    $directory = if ($env:CARP_DSC_TEST_LIBS) { $env:CARP_DSC_TEST_LIBS } else {
        $configuration = if ($env:CONFIGURATION) { $env:CONFIGURATION.ToLowerInvariant() } else { 'release' }
        $artifacts = if ($env:CARP_ARTIFACTS) { $env:CARP_ARTIFACTS }
        elseif ($env:CARPD_PATH) { Split-Path (Split-Path (Split-Path (Split-Path $env:CARPD_PATH))) }
        else { Join-Path $PSScriptRoot '../../artifacts' }
        Join-Path $artifacts "bin/CarpPS.Tests/$configuration"
    }
    foreach ($dll in @('YamlDotNet.dll')) {
        $path = Join-Path $directory $dll
        if (-not (Test-Path -LiteralPath $path)) { throw "$dll is not in ${directory}: build tests/CarpPS.Tests (or set CARP_DSC_TEST_LIBS)." }
        $null = [System.Reflection.Assembly]::LoadFrom($path)
    }
}

function Start-CarpDscCarpd {
    <#
        carpd --simulate-carpdev em0,em1 (a simulated LAN: no root, no packets) on <Directory>/<Name>.sock with the
        configuration file <Directory>/<Name>.conf (created empty, mode 0600, unless it exists), started as systemd starts it:
        ready once it sent READY=1 on NOTIFY_SOCKET. Its output goes to <Directory>/<Name>.log.
    #>
    param([Parameter(Mandatory)] [string] $Directory, [Parameter(Mandatory)] [string] $Name)
    $carpd = Get-CarpTestCarpdPath
    $config = Join-Path $Directory "$Name.conf"
    $socket = Join-Path $Directory "$Name.sock"
    $log = Join-Path $Directory "$Name.log"
    $notifyPath = Join-Path $Directory "$Name.notify"
    if (-not (Test-Path -LiteralPath $config)) { $null = New-Item -ItemType File -Path $config }
    & chmod 0600 $config
    $process = Start-CarpTestNotified -NotifyPath $notifyPath -Log $log -What "carpd $Name" -Start {
        $start = [System.Diagnostics.ProcessStartInfo]::new('/bin/sh')
        foreach ($argument in '-c', 'exec "$0" "$@" >>"$LOG" 2>&1', $carpd, '--simulate-carpdev', 'em0,em1', '--config', $config, '--socket', $socket) { $start.ArgumentList.Add($argument) }
        $start.Environment['NOTIFY_SOCKET'] = $notifyPath
        $start.Environment['LOG'] = $log
        $start.UseShellExecute = $false
        [System.Diagnostics.Process]::Start($start)
    }
    [pscustomobject]@{ Name = $Name; Process = $process; Socket = $socket; Config = $config; Log = $log; Directory = $Directory }
}

function Stop-CarpDscCarpd {
    <# SIGTERM (carpd bows out and exits), then waits for the exit. #>
    param([Parameter(Mandatory)] $Carpd)
    if (-not $Carpd.Process.HasExited) {
        & kill -TERM $Carpd.Process.Id
        if (-not $Carpd.Process.WaitForExit(20000)) { $Carpd.Process.Kill(); throw "carpd $($Carpd.Name) did not exit on SIGTERM." }
    }
}

function Get-CarpDscManifest {
    <# The laid-out resource manifests (*.dsc.resource.json), by resource type (CarpPS/CarpInterface...). #>
    param([Parameter(Mandatory)] [string] $ModuleDirectory)
    $manifests = @{}
    foreach ($file in Get-ChildItem -LiteralPath $ModuleDirectory -Filter '*.dsc.resource.json') {
        $text = Get-Content -Raw -LiteralPath $file.FullName
        $data = $text | ConvertFrom-Json -AsHashtable
        $manifests[$data.type] = [pscustomobject]@{
            Path = $file.FullName; Directory = $file.DirectoryName; Data = $data
            Schema = ($text | ConvertFrom-Json -Depth 50).schema.embedded | ConvertTo-Json -Depth 50
        }
    }
    $manifests
}

function Invoke-CarpDscOperation {
    <#
        Runs an operation of a resource manifest as dsc does: its executable (found on PATH, where this pwsh
        comes first) with its args, in the manifest's directory, the instance as JSON on stdin when the
        operation takes input. Returns the exit code, the meaning the manifest gives it, stdout's lines and stderr.
    #>
    param([Parameter(Mandatory)] $Manifest, [Parameter(Mandatory)] [string] $Operation, $Instance)
    $spec = $Manifest.Data[$Operation]
    if ($null -eq $spec) { throw "$($Manifest.Data.type) has no $Operation operation." }
    $start = [System.Diagnostics.ProcessStartInfo]::new($spec.executable)
    foreach ($argument in $spec.args) { $start.ArgumentList.Add($argument) }
    $start.WorkingDirectory = $Manifest.Directory
    $start.Environment['PATH'] = "$PSHOME$([System.IO.Path]::PathSeparator)$env:PATH"
    $start.RedirectStandardInput = $true
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $start.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($start)
    $stdout = $process.StandardOutput.ReadToEndAsync()
    $stderr = $process.StandardError.ReadToEndAsync()
    if ($spec.input -eq 'stdin' -and $null -ne $Instance) {
        $process.StandardInput.Write(($Instance -is [string]) ? $Instance : ($Instance | ConvertTo-Json -Compress -Depth 10))
    }
    $process.StandardInput.Close()
    if (-not $process.WaitForExit(120000)) { $process.Kill(); throw "$($Manifest.Data.type) $Operation did not finish within 120 s." }
    $process.WaitForExit()
    [pscustomobject]@{
        ExitCode = $process.ExitCode
        Meaning  = $Manifest.Data.exitCodes["$($process.ExitCode)"]
        Lines    = @($stdout.Result -split "`n" | Where-Object { $_.Trim() })
        Stderr   = $stderr.Result
    }
}

function Test-CarpDscJson {
    <# Validates a JSON text against a JSON schema (2020-12) with JsonSchema.Net; returns the errors (none: valid). #>
    param([Parameter(Mandatory)] [string] $Schema, [Parameter(Mandatory)] [string] $Json)
    $compiled = [Json.Schema.JsonSchema]::FromText($Schema)
    $options = [Json.Schema.EvaluationOptions]::new()
    $options.OutputFormat = [Json.Schema.OutputFormat]::List
    $result = $compiled.Evaluate([System.Text.Json.Nodes.JsonNode]::Parse($Json), $options)
    if ($result.IsValid) { return @() }
    @(foreach ($detail in @($result) + @($result.Details)) {
            if ($detail.Errors) { foreach ($key in $detail.Errors.Keys) { "$($detail.InstanceLocation): $($detail.Errors[$key])" } }
        })
}

function Test-CarpDscSchema {
    <# Validates a schema against the JSON Schema 2020-12 meta-schema; returns the errors. #>
    param([Parameter(Mandatory)] [string] $Schema)
    $options = [Json.Schema.EvaluationOptions]::new()
    $options.OutputFormat = [Json.Schema.OutputFormat]::List
    $result = [Json.Schema.MetaSchemas]::Draft202012.Evaluate([System.Text.Json.Nodes.JsonNode]::Parse($Schema), $options)
    if ($result.IsValid) { return @() }
    @($result.Details | Where-Object Errors | ForEach-Object { "$($_.InstanceLocation): $($_.Errors.Values -join '; ')" })
}

function ConvertFrom-CarpDscYaml {
    <# YAML (one document) → hashtables, lists and typed scalars (plain true/false/integers/null), as dsc reads it. #>
    param([Parameter(Mandatory)] [string] $Text)
    $stream = [YamlDotNet.RepresentationModel.YamlStream]::new()
    $stream.Load([System.IO.StringReader]::new($Text))
    ConvertFrom-CarpDscYamlNode $stream.Documents[0].RootNode
}

function ConvertFrom-CarpDscYamlNode($Node) {
    switch ($Node.NodeType) {
        'Mapping' {
            $map = [ordered]@{}
            foreach ($entry in $Node.Children.GetEnumerator()) { $map[$entry.Key.Value] = ConvertFrom-CarpDscYamlNode $entry.Value }
            return $map
        }
        'Sequence' { return , @(foreach ($item in $Node.Children) { ConvertFrom-CarpDscYamlNode $item }) }
        default {
            $value = $Node.Value
            if ($Node.Style -ne [YamlDotNet.Core.ScalarStyle]::Plain) { return $value }
            if ($value -cin 'true', 'false') { return $value -ceq 'true' }
            if ($value -match '^-?[0-9]+$') { return [long]$value }
            if ($value -cin 'null', '~', '') { return $null }
            return $value
        }
    }
}

Export-ModuleMember -Function Import-CarpDscTestLibrary, Start-CarpDscCarpd, Stop-CarpDscCarpd, Get-CarpDscManifest, Invoke-CarpDscOperation,
    Test-CarpDscJson, Test-CarpDscSchema, ConvertFrom-CarpDscYaml
