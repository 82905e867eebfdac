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

.PARAMETER Name
    The name on the summary line ("<Name>  Total: ..."); build.sh runs Pester (-ExcludeTag BuildScript)
    beside the xunit suites and PesterBuild (-Tag BuildScript) after them.

.PARAMETER Tag
    Run only the tests with one of these tags.

.PARAMETER ExcludeTag
    Leave out the tests with one of these tags.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)]
    [string] $PesterPath,

    [Parameter(Mandatory)]
    [string] $ResultPath,

    [ValidatePattern('^[A-Za-z][A-Za-z0-9.]*$')]
    [string] $Name = 'Pester',

    [string[]] $Tag = @(),

    [string[]] $ExcludeTag = @()
)

$ErrorActionPreference = 'Stop'
$PSStyle.OutputRendering = 'PlainText'
Import-Module (Resolve-Path -LiteralPath $PesterPath).ProviderPath -Force

$configuration = New-PesterConfiguration
$configuration.Run.Path = Join-Path $PSScriptRoot '../tests/pester'
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
if ($Tag) { $configuration.Filter.Tag = $Tag }
if ($ExcludeTag) { $configuration.Filter.ExcludeTag = $ExcludeTag }
$configuration.TestResult.Enabled = $true
$configuration.TestResult.OutputFormat = 'NUnitXml'
$configuration.TestResult.OutputPath = $ResultPath

$result = Invoke-Pester -Configuration $configuration
# Discovery or container failures (a broken BeforeAll) count as failures too.
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
# Tests the tag filter left out are no part of this run; a selected test that did not run counts as skipped.
$selected = @($result.Tests | Where-Object ShouldRun)
$skipped = @($selected | Where-Object Result -In 'Skipped', 'NotRun').Count
"$Name  Total: $($selected.Count), Errors: $($result.FailedBlocksCount + $result.FailedContainersCount), Failed: $($result.FailedCount), Skipped: $skipped"
exit ([int]($failed -ne 0))
