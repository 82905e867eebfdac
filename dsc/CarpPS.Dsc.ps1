# DSC v3 runs this for the CarpPS/CarpInterface, CarpPS/CarpMaintenance and CarpPS/CarpSysctl resources
# (CarpInterface.dsc.resource.json, CarpMaintenance.dsc.resource.json, CarpSysctl.dsc.resource.json): it reads one JSON instance from stdin, runs the operation with the class of
# CarpPS.Dsc.psm1 and writes JSON to stdout as the manifests declare it:
#   get     the actual state
#   test    the actual state with _inDesiredState, then (second line) the names of the properties that differ
#   set     the state after the change, then (second line) the names of the properties it changed
#   export  one instance per line
# Errors go to stderr as DSC trace lines ({"error": "..."}); the exit codes are the manifests' exitCodes:
# 0 success, 1 the operation failed (carpd refused or is unreachable), 2 the input is not a valid instance.
# A pass is read from the input only: no output ever carries it.
using module ./CarpPS.psd1

[CmdletBinding()]
param(
    [Parameter(Mandatory)]
    [ValidateSet('CarpInterface', 'CarpMaintenance', 'CarpSysctl')]
    [string] $Resource,

    [Parameter(Mandatory)]
    [ValidateSet('get', 'set', 'test', 'export')]
    [string] $Operation
)

$ErrorActionPreference = 'Stop'
# Only the JSON goes to stdout: pwsh's host would write warnings and progress there too.
$WarningPreference = 'SilentlyContinue'
$ProgressPreference = 'SilentlyContinue'
$InformationPreference = 'SilentlyContinue'

# JSON name → class property, per resource (besides socketPath and, for interfaces, _exist).
$Properties = @{
    CarpInterface = [ordered]@{
        name = 'Name'; vhid = 'Vhid'; carpDev = 'CarpDev'; address = 'Address'; advBase = 'AdvBase'; advSkew = 'AdvSkew'
        pass = 'Pass'; macMode = 'MacMode'; profile = 'Profile'; hasPass = 'HasPass'
    }
    CarpMaintenance = [ordered]@{ name = 'Name'; maintenance = 'Maintenance'; exists = 'Exists' }
    CarpSysctl    = [ordered]@{
        allow = 'Allow'; preempt = 'Preempt'; log = 'Log'; arpBalance = 'ArpBalance'
        ifDownDemotionFactor = 'IfDownDemotionFactor'; sendErrDemotionFactor = 'SendErrDemotionFactor'; dscp = 'Dscp'
    }
}[$Resource]

function Write-Trace([string] $Level, [string] $Message) {
    [Console]::Error.WriteLine((@{ $Level = $Message } | ConvertTo-Json -Compress))
}

class InvalidInstance : System.Exception {
    InvalidInstance([string] $message) : base($message) {}
}

# The JSON instance on stdin → an instance of the class; the class's defaults fill what is absent.
function ConvertTo-Resource([string] $Json) {
    $instance = New-Object -TypeName $Resource
    if ([string]::IsNullOrWhiteSpace($Json)) { return $instance }
    try { $data = $Json | ConvertFrom-Json -AsHashtable }
    catch { throw [InvalidInstance]::new('The input is not JSON (not quoted here: it may hold a pass).') }
    if ($data -isnot [System.Collections.IDictionary]) { throw [InvalidInstance]::new('The input must be a JSON object.') }
    foreach ($key in $data.Keys) {
        $value = $data[$key]
        try {
            switch -CaseSensitive ($key) {
                'socketPath' { $instance.SocketPath = $value; continue }
                '_exist' { if ($Resource -eq 'CarpInterface') { $instance.Ensure = $value ? 'Present' : 'Absent'; continue } }
                '_inDesiredState' { continue }
                { $_ -in 'hasPass', 'exists' } { continue }
                'pass' {
                    # Never quoted in an error: the message names the property only.
                    if ($value -isnot [string]) { throw [InvalidInstance]::new("'pass' must be a string.") }
                    $secure = [securestring]::new()
                    foreach ($c in $value.ToCharArray()) { $secure.AppendChar($c) }
                    $secure.MakeReadOnly()
                    $instance.Pass = [pscredential]::new('carp', $secure)
                    continue
                }
                default {
                    if (-not $Properties.Contains($key)) { throw [InvalidInstance]::new("'$key' is not a property of $Resource.") }
                    $instance.($Properties[$key]) = $value
                }
            }
        }
        catch [InvalidInstance] { throw }
        catch { throw [InvalidInstance]::new("'$key' is not valid: $($_.Exception.Message)") }
    }
    $instance
}

# An instance of the class → its JSON object (never the pass); unset properties are left out.
function ConvertFrom-Resource($Instance) {
    $json = [ordered]@{}
    foreach ($key in $Properties.Keys) {
        if ($key -eq 'pass') { continue }
        $value = $Instance.($Properties[$key])
        if ($null -ne $value -and -not ($value -is [string] -and $value -eq '')) { $json[$key] = $value }
    }
    if ($Instance.SocketPath) { $json.socketPath = $Instance.SocketPath }
    if ($Resource -eq 'CarpInterface') {
        if ($Instance.Ensure -eq 'Absent') { $json = [ordered]@{ name = $Instance.Name; socketPath = $Instance.SocketPath } }
        $json._exist = $Instance.Ensure -eq 'Present'
    }
    $json
}

# Class property names → the JSON names DSC compares.
function ConvertTo-JsonName([string[]] $Names) {
    , [string[]]@(foreach ($name in $Names) {
            if ($name -eq 'Ensure') { '_exist' } else { @($Properties.Keys).Where({ $Properties[$_] -eq $name }, 'First')[0] }
        })
}

function Write-Json($Value) {
    [Console]::Out.WriteLine((ConvertTo-Json -InputObject $Value -Compress -Depth 5))
}

try {
    $desired = ConvertTo-Resource ([Console]::In.ReadToEnd())
    switch ($Operation) {
        'get' { Write-Json (ConvertFrom-Resource $desired.Get()) }
        'test' {
            $actual = $desired.Get()
            $session = $desired.Open()
            try {
                $differing = $Resource -eq 'CarpInterface' ? $desired.Differences($session, $actual) : $desired.Differences($actual)
            }
            finally { $desired.Close($session) }
            $state = ConvertFrom-Resource $actual
            $state._inDesiredState = $differing.Count -eq 0
            Write-Json $state
            Write-Json (ConvertTo-JsonName $differing)
        }
        'set' {
            $changed = $desired.Apply()
            Write-Json (ConvertFrom-Resource $desired.Get())
            Write-Json (ConvertTo-JsonName $changed)
        }
        'export' {
            foreach ($instance in ($desired.GetType())::Export($desired.SocketPath)) { Write-Json (ConvertFrom-Resource $instance) }
        }
    }
    exit 0
}
catch [InvalidInstance] {
    Write-Trace 'error' $_.Exception.Message
    exit 2
}
catch {
    Write-Trace 'error' "$Resource $Operation failed: $($_.Exception.Message)"
    exit 1
}
