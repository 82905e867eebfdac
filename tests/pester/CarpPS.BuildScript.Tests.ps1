#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
    Every task of build.ps1, run under pwsh as a child process: Clean, Build, Layout, Package, Test, Lab.

    Tagged BuildScript: these build (incrementally, into the same artifacts as the outer run:
    $env:CARP_ARTIFACTS, else artifacts/), run a nested ./build.sh test with one small suite, and run the
    failover lab (network namespaces it creates itself, as root). ./build.sh test runs them in its second
    Pester run (PesterBuild), after the other suites, so they never run beside the timing-sensitive network
    suites. Layouts, packages and the nested run's logs go into a temporary directory; the real out/ and
    the outer run's artifacts/test-logs are never written.
#>

Describe 'build.ps1' -Tag 'BuildScript' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'BuildScriptKit.ps1')
        $work = New-TestDirectory 'carpps-buildps1-test-'
        $common = @('-Configuration', $Configuration, '-ArtifactsPath', $Artifacts)
        $RequiredDlls = 'CarpPS.dll', 'Carp.Engine.dll', 'Carp.Linux.dll', 'Carp.Control.dll', 'SharpPcap.dll', 'PacketDotNet.dll'
        $DscFiles = 'CarpPS.Dsc.psm1', 'CarpPS.Dsc.ps1', 'CarpInterface.dsc.resource.json', 'CarpMaintenance.dsc.resource.json', 'CarpSysctl.dsc.resource.json'
        $buildOutput = Join-Path $Artifacts "bin/CarpPS/$($Configuration.ToLowerInvariant())"

        # What a directory holds at its top (names and times), to show that a task left it alone.
        function Get-Snapshot([string] $Path) {
            if (-not (Test-Path -LiteralPath $Path)) { return '<none>' }
            (Get-ChildItem -LiteralPath $Path -Force | Sort-Object Name | ForEach-Object { "$($_.Name) $($_.LastWriteTimeUtc.Ticks)" }) -join "`n"
        }
    }

    AfterAll {
        Remove-TestDirectory $work
    }

    It 'documents every parameter and every task in Get-Help -Full' {
        $script = Join-Path $Repo 'build.ps1'
        $help = Get-Help $script -Full
        $commonParameters = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
        $parameters = (Get-Command $script).Parameters.Keys | Where-Object { $_ -notin $commonParameters }
        $parameters | Should -Contain 'Suite'
        $parameters | Should -Contain 'LabArguments'
        foreach ($name in $parameters) {
            $entry = @($help.parameters.parameter | Where-Object name -EQ $name)
            $entry.Count | Should -Be 1 -Because "Get-Help lists -$name"
            ($entry[0].description.Text -join ' ').Trim() | Should -Not -BeNullOrEmpty -Because "-$name is documented"
        }
        $description = $help.description.Text -join "`n"
        foreach ($task in 'Clean', 'Build', 'Layout', 'Test', 'Package', 'Lab') {
            $description | Should -Match "(?m)^\s*$task\s+\S" -Because "the $task task is described"
        }
    }

    It 'Clean removes the -Output and -ArtifactsPath it is given, and nothing else' {
        $cleanOutput = Join-Path $work 'clean-out'
        $cleanArtifacts = Join-Path $work 'clean-artifacts'
        $null = New-Item -ItemType Directory -Path (Join-Path $cleanOutput "CarpPS/$Version"), (Join-Path $cleanArtifacts 'bin/CarpPS/release')
        Set-Content -LiteralPath (Join-Path $cleanOutput "CarpPS/$Version/CarpPS.psd1") -Value '@{}'
        Set-Content -LiteralPath (Join-Path $cleanOutput "CarpPS.$Version.nupkg") -Value 'seed'
        Set-Content -LiteralPath (Join-Path $cleanArtifacts 'bin/CarpPS/release/CarpPS.dll') -Value 'seed'
        $neighbour = Join-Path $work 'neighbour.txt'
        Set-Content -LiteralPath $neighbour -Value 'stays'
        $realOut = Get-Snapshot (Join-Path $Repo 'out')
        $realArtifacts = Get-Snapshot $Artifacts
        $realBuild = Get-Snapshot $buildOutput

        $clean = Invoke-BuildPs1 -ArgumentList '-Task', 'Clean', '-Output', $cleanOutput, '-ArtifactsPath', $cleanArtifacts
        $clean.ExitCode | Should -Be 0 -Because (Get-Tail $clean.Text)
        $cleanOutput | Should -Not -Exist
        $cleanArtifacts | Should -Not -Exist
        $neighbour | Should -Exist
        Get-Snapshot (Join-Path $Repo 'out') | Should -Be $realOut
        Get-Snapshot $Artifacts | Should -Be $realArtifacts
        Get-Snapshot $buildOutput | Should -Be $realBuild
    }

    It 'Build builds the solution into -ArtifactsPath' {
        $build = Invoke-BuildPs1 -ArgumentList (@('-Task', 'Build') + $common)
        $build.ExitCode | Should -Be 0 -Because (Get-Tail $build.Text)
        $dll = Join-Path $buildOutput 'CarpPS.dll'
        $dll | Should -Exist
        # Up to date: newer than every source of the module.
        $newestSource = Get-ChildItem -LiteralPath (Join-Path $Repo 'src/CarpPS') -Filter *.cs -Recurse |
            Sort-Object LastWriteTimeUtc | Select-Object -Last 1
        (Get-Item -LiteralPath $dll).LastWriteTimeUtc | Should -BeGreaterOrEqual $newestSource.LastWriteTimeUtc
        Join-Path $Artifacts "bin/Carp.Architecture.Tests/$($Configuration.ToLowerInvariant())/Carp.Architecture.Tests.dll" | Should -Exist
    }

    It 'Layout lays the module out from the build output into -Output' {
        $output = Join-Path $work 'layout'
        $realOut = Get-Snapshot (Join-Path $Repo 'out')
        $layout = Invoke-BuildPs1 -ArgumentList (@('-Task', 'Layout', '-Output', $output) + $common)
        $layout.ExitCode | Should -Be 0 -Because (Get-Tail $layout.Text)
        $module = Join-Path $output "CarpPS/$Version"
        (Get-Tail $layout.Output 1).Trim() | Should -Be $module
        foreach ($file in @($RequiredDlls) + @('CarpPS.psd1', 'CarpPS.format.ps1xml', 'en-US/CarpPS.dll-Help.xml', 'en-US/about_CarpPS.help.txt') + @($DscFiles)) {
            Join-Path $module $file | Should -Exist
        }
        Join-Path $module 'System.Management.Automation.dll' | Should -Not -Exist
        # The very dlls of the build, no separate publish.
        foreach ($dll in $RequiredDlls) {
            (Get-FileHash -LiteralPath (Join-Path $module $dll)).Hash | Should -Be (Get-FileHash -LiteralPath (Join-Path $buildOutput $dll)).Hash -Because $dll
        }
        (Import-PowerShellDataFile -LiteralPath (Join-Path $module 'CarpPS.psd1')).ModuleVersion | Should -Be $Version
        Get-Snapshot (Join-Path $Repo 'out') | Should -Be $realOut
    }

    It 'Package packs CarpPS.<version>.nupkg into -Output' {
        $output = Join-Path $work 'package'
        $package = Invoke-BuildPs1 -ArgumentList (@('-Task', 'Package', '-Output', $output) + $common)
        $package.ExitCode | Should -Be 0 -Because (Get-Tail $package.Text)
        $nupkg = Join-Path $output "CarpPS.$Version.nupkg"
        (Get-Tail $package.Output 1).Trim() | Should -Be $nupkg
        $zip = [System.IO.Compression.ZipFile]::OpenRead($nupkg)
        try {
            $entries = $zip.Entries.FullName
            foreach ($entry in @('CarpPS.nuspec', '[Content_Types].xml', '_rels/.rels', 'CarpPS.psd1', 'CarpPS.format.ps1xml', 'en-US/CarpPS.dll-Help.xml') + $RequiredDlls + $DscFiles) {
                $entries | Should -Contain $entry
            }
            $reader = [System.IO.StreamReader]::new($zip.GetEntry('CarpPS.nuspec').Open())
            try { $nuspec = [xml]$reader.ReadToEnd() } finally { $reader.Dispose() }
            $nuspec.package.metadata.id | Should -Be 'CarpPS'
            $nuspec.package.metadata.version | Should -Be $Version
            $nuspec.package.metadata.tags -split ' ' | Should -Contain 'PSModule'
            $nuspec.package.metadata.tags -split ' ' | Should -Contain 'PSDscResource_CarpInterface'
        }
        finally { $zip.Dispose() }
    }

    It 'Test runs only the suites -Suite names, with its own logs and layout, and closes with the count' {
        $logs = Join-Path $work 'test-logs'
        $output = Join-Path $work 'test-out'
        $outerLog = Join-Path $Artifacts 'test-logs/Carp.Architecture.Tests.log'
        $outerLogBefore = if (Test-Path -LiteralPath $outerLog) { (Get-Item -LiteralPath $outerLog).LastWriteTimeUtc } else { $null }
        $realOut = Get-Snapshot (Join-Path $Repo 'out')

        $test = Invoke-BuildPs1 -ArgumentList (@('-Task', 'Test', '-Suite', 'Carp.Architecture.Tests', '-Output', $output) + $common) `
            -Environment @{ CARP_TEST_LOGS = $logs; CARP_TEST_SUITES = $null; CARPPS_MODULE_DIR = $null }
        $test.ExitCode | Should -Be 0 -Because (Get-Tail $test.Text)

        $suite = [regex]::Match($test.Output, '(?m)^Carp\.Architecture\.Tests: Carp\.Architecture\.Tests\s+Total: (\d+), Errors: 0, Failed: 0, Skipped: (\d+)')
        $suite.Success | Should -BeTrue -Because (Get-Tail $test.Text)
        $total = [int]$suite.Groups[1].Value
        $skipped = [int]$suite.Groups[2].Value
        $total | Should -BeGreaterThan 0
        $closing = [regex]::Match($test.Output, '(?m)^(\d+) passed, (\d+) failed, (\d+) skipped\s*$')
        $closing.Success | Should -BeTrue -Because (Get-Tail $test.Text)
        [int]$closing.Groups[1].Value | Should -Be ($total - $skipped)
        [int]$closing.Groups[2].Value | Should -Be 0
        [int]$closing.Groups[3].Value | Should -Be $skipped
        # No other suite ran.
        $test.Output | Should -Not -Match '(?m)^(Carp\.Engine\.Tests|Carpd\.Tests|Carp\.Network\.Tests|CarpPS\.Tests|Pester|PesterBuild): '

        Join-Path $logs 'Carp.Architecture.Tests.log' | Should -Exist
        Join-Path $output "CarpPS/$Version/CarpPS.psd1" | Should -Exist
        if ($null -ne $outerLogBefore) { (Get-Item -LiteralPath $outerLog).LastWriteTimeUtc | Should -Be $outerLogBefore }
        Get-Snapshot (Join-Path $Repo 'out') | Should -Be $realOut
    }

    It 'Test refuses a suite that does not exist, before building' {
        $test = Invoke-Child -FilePath 'bash' -ArgumentList (Join-Path $Repo 'build.sh'), 'test' `
            -Environment @{ CARP_TEST_SUITES = 'Carp.Architecture.Tests NoSuch.Tests'; CARP_TEST_LOGS = (Join-Path $work 'refused-logs'); CARP_OUT = (Join-Path $work 'refused-out'); CARP_ARTIFACTS = $Artifacts }
        $test.ExitCode | Should -Be 2
        $test.Errors | Should -Match "unknown suite 'NoSuch.Tests'"
        Join-Path $work 'refused-logs' | Should -Not -Exist
    }

    It 'Lab passes its arguments to the lab, which fails over' {
        if ((id -u) -ne '0') { Set-ItResult -Skipped -Because 'the lab creates network namespaces: it needs root'; return }
        $lab = Invoke-BuildPs1 -ArgumentList (@('-Task', 'Lab') + $common + @('--runs', '1', '--advskew', '5'))
        $lab.ExitCode | Should -Be 0 -Because (Get-Tail $lab.Text)
        # --advskew 5 reached the lab (its default is 0); one run, one takeover.
        $lab.Output | Should -Match 'n1: carpd, advbase 1 advskew 5;'
        $lab.Output | Should -Match '(?m)^\s+takeover: last advert of n1 -> first advert of n2 = \d+[.,]\d+ ms'
        $lab.Output | Should -Match 'Summary over 1 failover\(s\)'
        $lab.Output | Should -Match '(?m)^RESULT: ok'
    }
}
