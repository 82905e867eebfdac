<#
    One firewall's console for the namespace scenarios (tests/pester/CarpPS.Network.Tests.ps1): imports the
    module, then runs each line read from stdin as a user would type it, in one scope, and answers with
    "OUT <line>" for its output, "ERR <id>: <message>" for an error, then <<OK>> or <<FAILED>>.
#>
param([Parameter(Mandatory)] [string] $Manifest)

$ErrorActionPreference = 'Stop'
$PSStyle.OutputRendering = 'PlainText'
Import-Module $Manifest
[Console]::Out.WriteLine('<<READY>>')
while ($null -ne ($line = [Console]::In.ReadLine())) {
    try {
        foreach ($text in (Invoke-Expression $line | Out-String -Stream -Width 250)) { [Console]::Out.WriteLine("OUT $text") }
        [Console]::Out.WriteLine('<<OK>>')
    }
    catch {
        [Console]::Out.WriteLine(("ERR {0}: {1}" -f $_.FullyQualifiedErrorId, $_.Exception.Message) -replace '\r?\n', ' ')
        [Console]::Out.WriteLine('<<FAILED>>')
    }
}
