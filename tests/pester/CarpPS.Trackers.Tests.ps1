#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
    Health trackers through the cmdlets (docs/protocol.md#trackers) on the in-memory LAN (Connect-CarpService -Simulation:
    no root, no packets): Add-/Get-/Remove-CarpTracker, -WhatIf, pipeline input by property name, the refusals and their
    error ids, and what Get-CarpStatus shows while a tracker demotes or faults an interface (its table still 80 columns).
    A file tracker stands in for a script: its state is the file's content, written by the test.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'CarpTestKit.psm1') -Force
    $moduleDir = Get-CarpTestModuleDirectory
    Import-Module (Join-Path $moduleDir 'CarpPS.psd1') -Force -ErrorAction Stop

    # Polls a condition (the trackers run on their own timers), up to 10 s.
    function Wait-Until([scriptblock] $Condition) {
        $deadline = [datetime]::UtcNow.AddSeconds(10)
        while (-not (& $Condition)) {
            if ([datetime]::UtcNow -gt $deadline) { throw "timed out waiting for: $Condition" }
            Start-Sleep -Milliseconds 50
        }
    }
}

AfterAll {
    Remove-Module CarpPS -ErrorAction SilentlyContinue
}

Describe 'Add-CarpTracker, Get-CarpTracker and Remove-CarpTracker' -Tag 'Simulation' {
    BeforeEach {
        $dev = 'tk{0}' -f (Get-Random -Minimum 1000 -Maximum 9999999)
        $first = Connect-CarpService -Simulation -CarpDev $dev -PassThru
        $null = New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $dev -Address 192.0.2.100/24 -AdvSkew 10
        $file = Join-Path $TestDrive "load-$(Get-Random)"
        Set-Content -LiteralPath $file -Value '0'
    }

    AfterEach {
        Get-CarpTracker -Session $first | Remove-CarpTracker -Session $first
        Disconnect-CarpService -Session $first
    }

    It 'adds a tracker, demotes carp1 while it fails and undoes it when removed' {
        $added = Add-CarpTracker -Name load -Kind File -Target $file -Interface carp1 -Weight 20 -Interval 0.1 -Fall 1 -Rise 1
        $added.GetType().FullName | Should -Be 'CarpPS.CarpTracker'
        $added.Scope | Should -Be 'carp1'
        $added.Effect | Should -Be 'weight 20'
        $added.Interfaces | Should -Be @('carp1')
        Wait-Until { (Get-CarpTracker -Name load).State -eq 'Up' }

        Set-Content -LiteralPath $file -Value '2'
        Wait-Until { (Get-CarpStatus -Name carp1).TrackerDemotion -eq 40 }
        $status = Get-CarpStatus -Name carp1
        $status.EffectiveAdvSkew | Should -Be 50
        $status.Trackers | Should -Be @('load')
        $tracker = Get-CarpTracker -Name load
        $tracker.State | Should -Be 'Down'
        $tracker.LastResult | Should -Be 'value 2'
        $tracker.Demotion | Should -Be 40
        $table = Get-CarpStatus | Out-String -Width 80
        $table | Should -Match 'carp1 .* 10\+40'
        foreach ($line in ($table -split '\r?\n')) { $line.Length | Should -BeLessOrEqual 80 }
        foreach ($line in ((Get-CarpTracker | Out-String -Width 80) -split '\r?\n')) { $line.Length | Should -BeLessOrEqual 80 }

        Remove-CarpTracker -Name load
        Get-CarpTracker | Should -BeNullOrEmpty
        (Get-CarpStatus -Name carp1).EffectiveAdvSkew | Should -Be 10
    }

    It 'holds carp1 in INIT while a fault tracker fails and shows (fault)' {
        Set-Content -LiteralPath $file -Value '1'
        $null = Add-CarpTracker -Name gate -Kind File -Target $file -Interface carp1 -Fault -Interval 0.1
        Wait-Until { (Get-CarpStatus -Name carp1).State -eq 'Init' }
        (Get-CarpStatus -Name carp1).TrackerFault | Should -BeTrue
        (Get-CarpStatus -Name carp1).LastTransitionReason | Should -Be 'TrackerFault'
        Get-CarpStatus | Out-String -Width 80 | Should -Match '\(fault\)'

        Set-Content -LiteralPath $file -Value '0'
        Wait-Until { (Get-CarpStatus -Name carp1).State -ne 'Init' }
        (Get-CarpStatus -Name carp1).TrackerFault | Should -BeFalse
    }

    It '-WhatIf adds and removes nothing' {
        Add-CarpTracker -Name gw -Kind Script -Target 'test -e /nonexistent' -Interface carp1 -Weight 50 -WhatIf | Should -BeNullOrEmpty
        Get-CarpTracker | Should -BeNullOrEmpty
        $null = Add-CarpTracker -Name gw -Kind Script -Target 'test -e /nonexistent' -Interface carp1 -Weight 50
        Get-CarpTracker | Remove-CarpTracker -WhatIf
        (Get-CarpTracker).Name | Should -Be 'gw'
    }

    It 'takes a tracker from the pipeline by property name' {
        $null = Add-CarpTracker -Name uplink -Kind Link -Target lo -Group wan -Fault -Interval 3 -Timeout 0.5 -Rise 2 -Fall 3
        $other = Connect-CarpService -Simulation -CarpDev $dev -PassThru
        try {
            $copy = Get-CarpTracker -Session $first | Add-CarpTracker -Session $other
            $copy.Name | Should -Be 'uplink'
            $copy.Kind | Should -Be 'Link'
            $copy.Group | Should -Be 'wan'
            $copy.Fault | Should -BeTrue
            $copy.Interval | Should -Be ([timespan]::FromSeconds(3))
            $copy.Timeout | Should -Be ([timespan]::FromSeconds(0.5))
            $copy.Rise, $copy.Fall | Should -Be 2, 3
        } finally {
            Disconnect-CarpService -Session $other
        }
    }

    It 'refuses <Case> with <Id> and adds nothing' -ForEach @(
        @{ Case = 'no scope'; Id = 'InvalidArgument'; Command = { Add-CarpTracker -Name a -Kind Link -Target lo -Weight 5 } }
        @{ Case = 'interface and group'; Id = 'InvalidArgument'; Command = { Add-CarpTracker -Name a -Kind Link -Target lo -Interface carp1 -Group wan -Weight 5 } }
        @{ Case = 'weight and fault'; Id = 'InvalidArgument'; Command = { Add-CarpTracker -Name a -Kind Link -Target lo -Interface carp1 -Weight 5 -Fault } }
        @{ Case = 'a weight out of range'; Id = 'InvalidArgument'; Command = { Add-CarpTracker -Name a -Kind Link -Target lo -Interface carp1 -Weight 300 } }
        @{ Case = 'a relative file'; Id = 'InvalidArgument'; Command = { Add-CarpTracker -Name a -Kind File -Target run/x -Interface carp1 -Weight 5 } }
        @{ Case = 'a bad name'; Id = 'InvalidArgument'; Command = { Add-CarpTracker -Name 'a b' -Kind Link -Target lo -Interface carp1 -Weight 5 } }
    ) {
        # Non-terminating, as at a prompt (eng/run-pester.ps1 runs the suite with $ErrorActionPreference = 'Stop').
        $out = @(& { $ErrorActionPreference = 'Continue'; & $Command } 2>&1)
        $err = @($out | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
        $out | Should -HaveCount 1
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -BeLike "$Id,*"
        $err[0].ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
        Get-CarpTracker | Should -BeNullOrEmpty
    }

    It 'reports TrackerExists and TrackerNotFound' {
        $null = Add-CarpTracker -Name gw -Kind Link -Target lo -Interface carp1 -Weight 5
        $err = $null
        Add-CarpTracker -Name gw -Kind Link -Target lo -Interface carp1 -Weight 5 -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'TrackerExists,*'
        Get-CarpTracker -Name nosuch -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'TrackerNotFound,*'
        Remove-CarpTracker -Name nosuch -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'TrackerNotFound,*'
        (Get-CarpTracker -Name 'g*').Name | Should -Be 'gw'
    }

    It 'completes tracker names' {
        $null = Add-CarpTracker -Name gateway -Kind Link -Target lo -Interface carp1 -Weight 5
        $completion = TabExpansion2 -inputScript 'Get-CarpTracker -Name ga' -cursorColumn 'Get-CarpTracker -Name ga'.Length
        $completion.CompletionMatches.CompletionText | Should -Contain 'gateway'
    }
}
