#Requires -Version 7.6
<#
.SYNOPSIS
    Runs the Pester suite (tests/pester) against the laid-out module with the Pester that
    eng/install-deps.sh restored, and prints one summary line that build.sh counts.

.DESCRIPTION
    The module is imported from $env:CARPPS_MODULE_DIR (set by build.sh test). Results are written as
    NUnit XML next to the xunit logs. Exit code: 0 when every test passed, 1 otherwise.

.PARAMETER PesterPath
    Pester.psd1 to import (default: .tools/nuget/pester/<version>/tools/Pester.psd1).

.PARAMETER ResultPath
    Where the NUnit XML result goes.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)]
    [string] $PesterPath,

    [Parameter(Mandatory)]
    [string] $ResultPath
)

$ErrorActionPreference = 'Stop'
$PSStyle.OutputRendering = 'PlainText'
Import-Module (Resolve-Path -LiteralPath $PesterPath).ProviderPath -Force

$configuration = New-PesterConfiguration
$configuration.Run.Path = Join-Path $PSScriptRoot '../tests/pester'
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
$configuration.TestResult.Enabled = $true
$configuration.TestResult.OutputFormat = 'NUnitXml'
$configuration.TestResult.OutputPath = $ResultPath

$result = Invoke-Pester -Configuration $configuration
# Discovery or container failures (a broken BeforeAll) count as failures too.
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
"Pester  Total: $($result.TotalCount), Errors: $($result.FailedBlocksCount + $result.FailedContainersCount), Failed: $($result.FailedCount), Skipped: $($result.SkippedCount + $result.NotRunCount)"
exit ([int]($failed -ne 0))
