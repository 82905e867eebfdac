#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
    The README's "Running in production" section as a user meets it: its PowerShell lines run as written on a simulated
    LAN whose em0 carries the seed's carp1, and its carpd lines are one configuration that carpd --check-config accepts.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'CarpTestKit.psm1') -Force
    $Manifest = Join-Path (Get-CarpTestModuleDirectory) 'CarpPS.psd1'
    Import-Module $Manifest -Force -ErrorAction Stop

    # The fenced blocks of the section, in order, each with its language ('' for carpd's configuration lines).
    function Get-ProductionBlock {
        $readme = Get-Content -Raw -LiteralPath (Join-Path $PSScriptRoot '../../README.md')
        $start = $readme.IndexOf('## Running in production')
        $end = $readme.IndexOf('## ', $start + 3)
        $section = $readme.Substring($start, $end - $start)
        $blocks = [System.Collections.Generic.List[object]]::new()
        $current = $null
        foreach ($line in $section -split "`r?`n") {
            if ($line.StartsWith('```')) {
                if ($null -eq $current) { $current = @{ Language = $line.Substring(3); Lines = [System.Collections.Generic.List[string]]::new() } }
                else { $blocks.Add([pscustomobject]@{ Language = $current.Language; Text = $current.Lines -join "`n" }); $current = $null }
            } elseif ($null -ne $current) {
                $current.Lines.Add($line)
            }
        }
        $blocks
    }
}

AfterAll {
    Remove-Module CarpPS -ErrorAction SilentlyContinue
}

Describe 'The README section "Running in production"' -Tag 'Simulation' {
    BeforeAll {
        $blocks = Get-ProductionBlock
    }

    AfterEach {
        Get-CarpTracker -ErrorAction SilentlyContinue | Remove-CarpTracker -Confirm:$false -ErrorAction SilentlyContinue
        Disconnect-CarpService -ErrorAction SilentlyContinue
    }

    It 'has PowerShell and carpd blocks' {
        @($blocks | Where-Object Language -eq 'powershell').Count | Should -BeGreaterOrEqual 3
        @($blocks | Where-Object Language -eq '').Count | Should -BeGreaterOrEqual 3
    }

    It 'runs its PowerShell lines as written on the seed''s firewall 1 (simulated)' {
        Connect-CarpService -Simulation -CarpDev em0, em1
        New-CarpInterface -Name carp1 -Vhid 1 -CarpDev em0 -Pass lanpasswd -Address 192.0.2.100/24
        $null = Wait-CarpState -Name carp1 -State Master -Timeout 10
        Push-Location $TestDrive
        try {
            foreach ($block in $blocks | Where-Object Language -eq 'powershell') {
                $output = & { $ErrorActionPreference = 'Stop'; . ([scriptblock]::Create($block.Text)) } 6>$null
                $output | Should -Not -BeNullOrEmpty -Because "each block shows something: $($block.Text)"
            }
        } finally {
            Pop-Location
        }

        $tracker = Get-CarpTracker -Name gw
        ($tracker.Kind, $tracker.Target, $tracker.Weight) | Should -Be @('Script', '/usr/bin/test -e /run/gw-ok', 50)
        $info = Get-CarpInterface -Name carp1
        ($info.AnnounceCount, $info.AnnounceSpacing, $info.AnnounceRefresh) | Should -Be @(3, [timespan]::FromMilliseconds(200), [timespan]::FromSeconds(60))
        Test-Path -LiteralPath (Join-Path $TestDrive 'findings.csv') | Should -BeTrue
    }

    It 'has carpd lines that carpd --check-config accepts as one file' {
        $carpd = Get-CarpTestCarpdPath
        $config = ($blocks | Where-Object Language -eq '' | ForEach-Object Text) -join "`n"
        # The hooks named are the reader's own programs; here two that exist, and the FIFO in the test's folder.
        $config | Should -Match '/usr/local/sbin/carp-master'
        $config = $config.Replace('/usr/local/sbin/carp-master', '/usr/bin/true').Replace('/usr/local/sbin/carp-log', '/usr/bin/true').
            Replace('/run/carpd/events.fifo', (Join-Path $TestDrive 'events.fifo'))
        $file = Join-Path $TestDrive 'carpd.conf'
        Set-Content -LiteralPath $file -Value $config
        & chmod 0600 $file
        $summary = (& $carpd --check-config $file 2>&1) -join "`n"
        $LASTEXITCODE | Should -Be 0 -Because $summary
        $summary | Should -Match 'tracker gw: script /usr/bin/test -e /run/gw-ok'
        $summary | Should -Match 'metrics listen 127\.0\.0\.1:9651'
        $summary | Should -Match 'notify master /usr/bin/true carp1'
        $summary | Should -Match 'announce 3x every 200 ms refresh 60 s'
        $summary | Should -Not -Match 'lanpasswd'
    }
}
