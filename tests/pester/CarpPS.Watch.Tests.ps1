#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
    Watch-CarpNetwork's surface (docs/protocol.md#segment-watch) on the simulated LAN: no root, no packets. The
    in-process simulation's engine is master of vhid 1 on em0; the watch listens on that LAN, checks the pass, streams
    changes for Export-Csv, renders at 80 columns, refuses what it cannot watch, and asks carpd --simulate with -Service.
    The real capture is tested in Carp.Network.Tests (SegmentWatchScenarios).
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'CarpTestKit.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'CarpDscKit.psm1') -Force
    Import-Module (Join-Path (Get-CarpTestModuleDirectory) 'CarpPS.psd1') -Force -ErrorAction Stop
    $null = Connect-CarpService -Simulation -CarpDev em0, em1
    $null = New-CarpInterface -Name carp1 -Vhid 1 -CarpDev em0 -Pass lanpasswd -Address 192.0.2.100/24
    $null = Wait-CarpState -Name carp1 -State Master -Timeout 10 -ErrorAction Stop
}

AfterAll {
    Disconnect-CarpService -ErrorAction Ignore
    Remove-Module CarpPS -ErrorAction Ignore
}

Describe 'Watch-CarpNetwork' -Tag 'Simulation' {
    It 'writes one CarpSegmentEntry per vhid seen, its address verified with the pass' {
        $seen = @(Watch-CarpNetwork -Interface em0 -Duration 2.5 -Pass lanpasswd -Address 192.0.2.100)
        $seen | Should -HaveCount 1
        $seen[0].GetType().FullName | Should -Be 'CarpPS.CarpSegmentEntry'
        $seen[0].Kind | Should -Be 'Summary'
        $seen[0].Protocol | Should -Be 'Carp'
        $seen[0].Family | Should -Be 'IPv4'
        $seen[0].Vhid | Should -Be 1
        $seen[0].Master | Should -Match '^192\.0\.2\.\d+$'
        $seen[0].Mac | Should -Be '00:00:5e:00:01:01'
        $seen[0].AdvBase | Should -Be 1
        $seen[0].Addresses | Should -Be '192.0.2.100'
        $seen[0].HmacVerified | Should -BeGreaterThan 0
        $seen[0].Adverts | Should -BeGreaterOrEqual 2
        "$($seen[0].Findings)" | Should -Be 'None'
    }

    It 'flags a pass that is not the vhid''s as PassMismatch, and -Vhid filters' {
        $seen = @(Watch-CarpNetwork -Interface em0 -Duration 2.5 -Pass wrongpass -Address 192.0.2.100 -Vhid 1)
        $seen | Should -HaveCount 1
        "$($seen[0].Findings)" | Should -Be 'PassMismatch'
        $seen[0].HmacFailures | Should -BeGreaterThan 0
        @(Watch-CarpNetwork -Interface em0 -Duration 1.5 -Vhid 2) | Should -HaveCount 0
    }

    It '-Continuous streams updates and findings that Where-Object and Export-Csv take' {
        $csv = Join-Path $TestDrive 'findings.csv'
        Watch-CarpNetwork -Interface em0 -Continuous -Duration 2.5 -Pass wrongpass -Address 192.0.2.100 | Export-Csv -LiteralPath $csv
        $rows = @(Import-Csv -LiteralPath $csv)
        @($rows | Where-Object Kind -eq 'Update') | Should -Not -BeNullOrEmpty
        $finding = @($rows | Where-Object Kind -eq 'Finding')
        $finding | Should -HaveCount 1
        $finding[0].Finding | Should -Be 'PassMismatch'
        $finding[0].Vhid | Should -Be '1'
        $finding[0].Detail | Should -Not -Match 'wrongpass|lanpasswd'
        (Get-Content -Raw -LiteralPath $csv) | Should -Not -Match 'wrongpass|lanpasswd'
    }

    It 'renders its table within 80 columns' {
        $seen = @(Watch-CarpNetwork -Interface em0 -Duration 2.5)
        $text = $seen | Format-Table | Out-String -Width 80
        $text | Should -Match 'CARP 1'
        $text | Should -Match '00:00:5e:00:01:01'
        $text -split "`n" | ForEach-Object { $_.TrimEnd().Length | Should -BeLessOrEqual 80 }
    }

    It 'refuses an interface that is not on the simulated LAN and a duration of zero' {
        $record = $null
        try { Watch-CarpNetwork -Interface em9 -Duration 1 -ErrorAction Stop } catch { $record = $_ }
        $record.FullyQualifiedErrorId | Should -Be 'UnknownCarpDev,CarpPS.Commands.WatchCarpNetworkCommand'
        $record.ErrorDetails.RecommendedAction | Should -Match '-Interface'
        { Watch-CarpNetwork -Interface em0 -Duration 0 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidArgument,CarpPS.Commands.WatchCarpNetworkCommand'
        { Watch-CarpNetwork -Interface em0 -Duration soon -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentTransformationError,CarpPS.Commands.WatchCarpNetworkCommand'
    }

    It 'has no -Continuous with -Service' {
        { Watch-CarpNetwork -Interface em0 -Service -Continuous -ErrorAction Stop } | Should -Throw -ErrorId 'AmbiguousParameterSet,CarpPS.Commands.WatchCarpNetworkCommand'
    }
}

Describe 'Watch-CarpNetwork -Service' -Tag 'Simulation' {
    BeforeAll {
        Set-Content -LiteralPath (Join-Path $TestDrive 'watchd.conf') -Value 'carp1 vhid 7 carpdev em0 pass lanpasswd 192.0.2.107/24'
        $carpd = Start-CarpDscCarpd -Directory $TestDrive -Name 'watchd'
        $session = Connect-CarpService -Path $carpd.Socket -PassThru
        $null = Wait-CarpState -Session $session -Name carp1 -State Master -Timeout 10 -ErrorAction Stop
    }

    AfterAll {
        Disconnect-CarpService -Session $session -ErrorAction Ignore
        Stop-CarpDscCarpd $carpd
    }

    It 'asks carpd to watch its LAN and returns the same entries' {
        $seen = @(Watch-CarpNetwork -Interface em0 -Service -Session $session -Duration 2.5 -Pass lanpasswd -Address 192.0.2.107)
        $seen | Should -HaveCount 1
        $seen[0].GetType().FullName | Should -Be 'CarpPS.CarpSegmentEntry'
        $seen[0].Vhid | Should -Be 7
        $seen[0].Mac | Should -Be '00:00:5e:00:01:07'
        $seen[0].Addresses | Should -Be '192.0.2.107'
        "$($seen[0].Findings)" | Should -Be 'None'
        (Get-Content -Raw -LiteralPath $carpd.Log) | Should -Match 'watching em0 for 2\.5 s'
        (Get-Content -Raw -LiteralPath $carpd.Log) | Should -Not -Match 'lanpasswd'
    }

    It 'passes carpd''s refusal on' {
        { Watch-CarpNetwork -Interface nosuch0 -Service -Session $session -Duration 1 -ErrorAction Stop } | Should -Throw -ErrorId 'UnknownCarpDev,CarpPS.Commands.WatchCarpNetworkCommand'
    }
}
