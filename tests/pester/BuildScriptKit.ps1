<#
    Shared by the Pester tests tagged BuildScript (CarpPS.BuildScript.Tests.ps1, CarpPS.Package.Tests.ps1):
    they run build.ps1, build.sh and the packaging tools as child processes. Dot-source it in BeforeAll.

    The children build into the same artifacts as the outer run ($env:CARP_ARTIFACTS, which build.sh test
    sets, else artifacts/), so their builds are incremental; anything else they write (layouts, packages,
    logs, feeds, PowerShell settings) goes into temporary directories the tests remove.
#>

$Repo = (Resolve-Path -LiteralPath (Join-Path $PSScriptRoot '../..')).ProviderPath
$Artifacts = if ($env:CARP_ARTIFACTS) { [System.IO.Path]::GetFullPath($env:CARP_ARTIFACTS) } else { Join-Path $Repo 'artifacts' }
$Configuration = if ($env:CONFIGURATION) { $env:CONFIGURATION } else { 'Release' }
# The pwsh the tests run in is the one eng/install-deps.sh installed (CARP_TOOLS), or whatever runs them.
$Pwsh = if ($env:CARP_TOOLS -and (Test-Path -LiteralPath (Join-Path $env:CARP_TOOLS 'pwsh'))) {
    Join-Path $env:CARP_TOOLS 'pwsh'
} else {
    [Environment]::ProcessPath
}
$Version = ([xml](Get-Content -Raw -LiteralPath (Join-Path $Repo 'Directory.Build.props'))).SelectSingleNode('//CarpVersion').InnerText.Trim()

function New-TestDirectory([string] $Prefix) {
    [System.IO.Directory]::CreateTempSubdirectory($Prefix).FullName
}

function Remove-TestDirectory([string] $Path) {
    if ($Path -and (Test-Path -LiteralPath $Path)) { Remove-Item -LiteralPath $Path -Recurse -Force }
}

<#
    Runs a program to its end and returns ExitCode, Output (stdout), Errors (stderr) and Text (both).
    $Environment is applied to the child only ($null removes a variable); the test process's own
    environment is never changed. The timeout is a guard against a hang, not a way to wait: on it
    the child's whole process tree is killed and the call throws.
#>
function Invoke-Child {
    param(
        [Parameter(Mandatory)] [string] $FilePath,
        [string[]] $ArgumentList = @(),
        [hashtable] $Environment = @{},
        [string] $WorkingDirectory = $Repo,
        [int] $TimeoutSeconds = 1200
    )
    $start = [System.Diagnostics.ProcessStartInfo]::new($FilePath)
    foreach ($argument in $ArgumentList) { $start.ArgumentList.Add($argument) }
    $start.UseShellExecute = $false
    $start.RedirectStandardInput = $true
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $start.WorkingDirectory = $WorkingDirectory
    # No colour codes in what the tests match; no telemetry or update checks; builds leave no MSBuild
    # nodes, build server or compiler server running behind them.
    $quiet = @{
        NO_COLOR = '1'; DOTNET_CLI_TELEMETRY_OPTOUT = '1'; DOTNET_NOLOGO = '1'; DOTNET_SKIP_FIRST_TIME_EXPERIENCE = '1'
        DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE = '1'; POWERSHELL_TELEMETRY_OPTOUT = '1'; POWERSHELL_UPDATECHECK = 'Off'
        MSBUILDDISABLENODEREUSE = '1'; DOTNET_CLI_USE_MSBUILD_SERVER = '0'; UseSharedCompilation = 'false'
    }
    foreach ($variables in $quiet, $Environment) {
        foreach ($name in $variables.Keys) {
            if ($null -eq $variables[$name]) { $null = $start.Environment.Remove($name) } else { $start.Environment[$name] = [string]$variables[$name] }
        }
    }

    $process = [System.Diagnostics.Process]::Start($start)
    try {
        $process.StandardInput.Close()
        $stdout = $process.StandardOutput.ReadToEndAsync()
        $stderr = $process.StandardError.ReadToEndAsync()
        if (-not $process.WaitForExit($TimeoutSeconds * 1000)) {
            $process.Kill($true)
            $process.WaitForExit()
            throw "$FilePath $($ArgumentList -join ' ') did not finish within $TimeoutSeconds s; killed it. Output so far:`n$(Get-Tail ($stdout.Result + $stderr.Result))"
        }
        $process.WaitForExit()
        [pscustomobject]@{
            ExitCode = $process.ExitCode
            Output   = $stdout.Result
            Errors   = $stderr.Result
            Text     = $stdout.Result + $stderr.Result
        }
    }
    finally {
        $process.Dispose()
    }
}

# The last lines of a child's output, for a failure message.
function Get-Tail([string] $Text, [int] $Lines = 60) {
    (($Text.TrimEnd() -split "`r?`n") | Select-Object -Last $Lines) -join "`n"
}

# Runs ./build.ps1 with the pwsh the tests use; the arguments follow -File build.ps1.
function Invoke-BuildPs1 {
    param([string[]] $ArgumentList, [hashtable] $Environment = @{}, [int] $TimeoutSeconds = 1200)
    Invoke-Child -FilePath $Pwsh -ArgumentList (@('-NoLogo', '-NoProfile', '-NonInteractive', '-File', (Join-Path $Repo 'build.ps1')) + $ArgumentList) `
        -Environment $Environment -TimeoutSeconds $TimeoutSeconds
}
