#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
    Failover drills (issue 11, docs/protocol.md#failover-test) on a real network: fw1 (192.0.2.1, advskew 0) is MASTER
    of carp1 (192.0.2.100), fw2 (192.0.2.2, advskew 100) BACKUP, preempt on both; once with the engine in pwsh and
    once in carpd. Invoke-CarpFailoverTest runs on fw1 and measures on its em0.

    - A healthy pair passes: fw2 takes over within the bound, the VIP answers ARP and echo through the wire, and
      fw1 takes carp1 back by preempt. The figures are printed as MEASURED lines.
    - The timeline pictures are a valid SVG and PNG; the history holds every drill and Get-CarpFailoverTest reads it.
    - With fw2's engine killed the drill fails with "no backup took over vhid 1", takes carp1 back within the bound
      plus the margin, and the VIP answers ARP from fw1.

    Register-/Get-/Unregister-CarpFailoverTest write systemd units into a temporary folder (never /etc) and check
    them with systemd-analyze. Needs what CarpPS.Network.Tests.ps1 needs, and systemd-analyze.
#>

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'CarpTestNetwork.psm1') -Force
    $script:Missing = Get-CarpTestPrerequisite
    $script:SkipNetwork = $null -ne $Missing -and $env:CI -ne 'true'
    $script:SkipSystemd = -not (Get-Command systemd-analyze -CommandType Application -ErrorAction Ignore) -and $env:CI -ne 'true'
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'CarpTestNetwork.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'CarpTestKit.psm1') -Force
    $moduleDir = Get-CarpTestModuleDirectory
    $Manifest = Join-Path $moduleDir 'CarpPS.psd1'

    function Wait-State($Shell, [string] $State, [int] $Timeout = 15) {
        Invoke-CarpTestShell $Shell "(Wait-CarpState -Name carp1 -State $State -Timeout $Timeout).State" -Timeout ([timespan]::FromSeconds($Timeout + 10))
    }
}

Describe 'A failover drill between two firewalls, engine in <Engine>' -Tag 'Network' -Skip:$SkipNetwork -ForEach @(
    @{ Engine = 'pwsh' }, @{ Engine = 'carpd' }
) {
    BeforeAll {
        if ($Missing = Get-CarpTestPrerequisite) { throw "The namespace scenarios need $Missing (CI=true: this is a failure, not a skip)." }
        $net = New-CarpTestNetwork
        $br = Add-CarpTestNamespace $net 'br'
        Add-CarpTestBridge $br 'br0'
        $fw = @{}
        $shells = @{}
        $daemons = @{}
        foreach ($n in 1, 2) {
            $fw[$n] = Add-CarpTestNamespace $net "fw$n"
            Connect-CarpTestNamespace -Namespace $fw[$n] -Interface em0 -BridgeNamespace $br -Bridge br0 -Port "l$n" -Address "192.0.2.$n/24"
            $skew = if ($n -eq 2) { 100 } else { 0 }
            if ($Engine -eq 'carpd') {
                $config = Join-Path $net.WorkDir "fw$n.carpd.conf"
                Set-Content -LiteralPath $config -Value 'net.inet.carp.preempt=1', "carp1 vhid 1 carpdev em0 pass drillpass advskew $skew 192.0.2.100/24"
                & chmod 0600 $config
                $daemons[$n] = Start-CarpTestCarpd -Network $net -Namespace $fw[$n] -Name "fw$n" -Config $config
                $shells[$n] = Start-CarpTestShell -Network $net -Namespace $fw[$n] -Manifest $Manifest -MountNamespaceOf $daemons[$n].Process
                $null = Invoke-CarpTestShell $shells[$n] 'Connect-CarpService'
            } else {
                $shells[$n] = Start-CarpTestShell -Network $net -Namespace $fw[$n] -Manifest $Manifest
                $null = Invoke-CarpTestShell $shells[$n] 'Set-CarpSysctl -Preempt $true -Force'
                $null = Invoke-CarpTestShell $shells[$n] "New-CarpInterface -Name carp1 -Vhid 1 -CarpDev em0 -Pass (ConvertTo-SecureString drillpass -AsPlainText -Force) -AdvSkew $skew -Address 192.0.2.100/24"
            }
            if ($n -eq 1) { Wait-State $shells[1] Master | Should -Be 'Master' }
        }
        Wait-State $shells[2] Backup | Should -Be 'Backup'
        $history = Join-Path $net.WorkDir 'failover-tests.jsonl'
        $report = Join-Path $net.WorkDir 'report'
        $drill = "Invoke-CarpFailoverTest -Name carp1 -Duration 2 -Force -HistoryPath '$history' -ReportPath '$report'"
        # Properties of the last result ($r in fw1's shell), in a string with $(...) subexpressions.
        function Get-Result([string] $Expression) { Invoke-CarpTestShell $shells[1] "`"$Expression`"" }
    }

    AfterAll {
        Remove-CarpTestNetwork $net
    }

    It 'passes on a healthy pair: fw2 takes over within the bound, the VIP answers through the wire, fw1 takes it back by preempt' {
        $null = Invoke-CarpTestShell $shells[1] "`$r = $drill" -Timeout ([timespan]::FromSeconds(60))
        $figures = Get-Result '$($r.Verdict)|$($r.HandoverMs)|$($r.ArpMs)|$($r.OutageMs)|$($r.ReturnMs)|$($r.BoundMs)|$($r.NewMaster.Address)|$($r.NewMaster.Mac)|$($r.NewMaster.ArpMac)|$($r.Return)|$($r.MeasuredOn)|$($r.Reasons -join ";")'
        Write-Host "MEASURED ($Engine): verdict|handover ms|ARP ms|echo outage ms|return ms|bound ms|new master|its advert MAC|ARP MAC|return|measured on|reasons = $figures"
        $verdict, $handover, $arp, $outage, $return, $bound, $address, $mac, $arpMac, $how, $on, $reasons = $figures -split '\|'
        $verdict | Should -Be 'Passed' -Because $reasons
        $on | Should -Be 'Wire'
        $address | Should -Be '192.0.2.2'
        $mac | Should -Match '^([0-9a-f]{2}:){5}[0-9a-f]{2}$'
        $arpMac | Should -Match '^([0-9a-f]{2}:){5}[0-9a-f]{2}$'
        [double]$handover | Should -BeLessThan ([double]$bound)
        [double]$handover | Should -BeLessThan 1000 -Because 'the bow-out makes fw2 take over at once, not after its master-down time'
        [double]$arp | Should -BeGreaterOrEqual ([double]$handover) -Because 'the VIP answers from fw2 only after its takeover'
        [double]$outage | Should -BeLessThan ([double]$bound)
        $how | Should -Be 'Preempt'
        [double]$return | Should -BeLessThan 2000 -Because "fw1 preempts at fw2's next advert (1 s + 100/256 s)"
        Wait-State $shells[1] Master | Should -Be 'Master'
        Wait-State $shells[2] Backup | Should -Be 'Backup'
        Invoke-CarpTestShell $shells[1] '(Get-CarpStatus -Name carp1).Maintenance' | Should -Be 'False'
        $kinds = Get-Result '$($r.Timeline.Kind | Select-Object -Unique)'
        foreach ($kind in 'BowOut', 'Advert', 'ArpReply', 'EchoReply', 'Resume') { $kinds -split ' ' | Should -Contain $kind }
    }

    It 'draws the timeline as a valid SVG and PNG and names them in the result' {
        $files = @(Invoke-CarpTestShell $shells[1] '$r.Report')
        $files | Should -HaveCount 2
        $svg = $files | Where-Object { $_ -like '*.svg' }
        $png = $files | Where-Object { $_ -like '*.png' }
        ([xml](Get-Content -Raw -LiteralPath $svg)).DocumentElement.LocalName | Should -Be 'svg'
        (Get-Item -LiteralPath $png).Length | Should -BeGreaterThan 1000
        $signature = [System.IO.File]::ReadAllBytes($png)[0..7]
        $signature | Should -Be @(0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A)
    }

    It 'appends the result to a root-only history that Get-CarpFailoverTest reads back' {
        (& stat -c '%a %U' $history) | Should -Be '600 root'
        $null = Invoke-CarpTestShell $shells[1] "`$h = @(Get-CarpFailoverTest -HistoryPath '$history')"
        Get-Result '$($h.Count)' | Should -Be '1'
        Get-Result '$($h[0].Verdict) $($h[0].NewMaster.Address) $($h[0].HandoverMs -eq $r.HandoverMs) $($h[0].Timeline.Count -eq $r.Timeline.Count)' |
            Should -Be 'Passed 192.0.2.2 True True'
        Get-Result "`$(@(Get-CarpFailoverTest -HistoryPath '$history' -Name carp9).Count)" | Should -Be '0'
        Get-Content -Raw -LiteralPath $history | Should -Not -Match 'drillpass'
        # The format view fits 80 columns.
        $table = @(Invoke-CarpTestShell $shells[1] '$r | Format-Table | Out-String -Stream -Width 80')
        ($table -join "`n") | Should -Match 'Passed'
        $table | Where-Object { $_.Length -gt 80 } | Should -BeNullOrEmpty
    }

    It 'fails with "no backup took over" when the backup is dead, takes carp1 back within the bound plus the margin, and the VIP answers' {
        if ($Engine -eq 'carpd') { $daemons[2].Process.Kill() } else { $shells[2].Process.Kill() }
        # The dead engine's guardian removes nothing it did not hold; fw2 was BACKUP. Wait until it is gone.
        Wait-CarpTestCondition -Because "fw2's engine did not exit" { if ($Engine -eq 'carpd') { $daemons[2].Process.HasExited } else { $shells[2].Process.HasExited } }
        $null = Invoke-CarpTestShell $shells[1] "`$r = $drill -WarningAction SilentlyContinue" -Timeout ([timespan]::FromSeconds(60))
        $figures = Get-Result '$($r.Verdict)|$($r.OutageMs)|$($r.BoundMs)|$($r.MarginMs)|$($r.Return)|$($r.Reasons -join ";")'
        Write-Host "MEASURED ($Engine, backup dead): verdict|outage ms|bound ms|margin ms|return|reasons = $figures"
        $verdict, $outage, $bound, $margin, $how, $reasons = $figures -split '\|'
        $verdict | Should -Be 'Failed'
        $reasons | Should -Match '^no backup took over vhid 1 within'
        $how | Should -Be 'Restored'
        [double]$outage | Should -BeGreaterThan ([double]$bound) -Because 'it waits for the bound and the margin before taking carp1 back'
        [double]$outage | Should -BeLessThan ([double]$bound + [double]$margin) -Because 'the outage stays within the bound plus the margin'
        Invoke-CarpTestShell $shells[1] '(Get-CarpStatus -Name carp1).State' | Should -Be 'Master'
        Invoke-CarpTestShell $shells[1] '(Get-CarpStatus -Name carp1).Maintenance' | Should -Be 'False'
        @(Get-CarpTestArpReply -Namespace $fw[2] -Address 192.0.2.100 -Interface em0).Count | Should -BeGreaterThan 0 -Because 'the VIP answers ARP again, from fw1'
        Get-Result "`$(@(Get-CarpFailoverTest -HistoryPath '$history' -Last 1).Verdict)" | Should -Be 'Failed'
        Get-Result "`$(@(Get-CarpFailoverTest -HistoryPath '$history').Count)" | Should -Be '2'
    }
}

Describe 'Scheduling failover tests with systemd timers' -Tag 'Systemd' -Skip:$SkipSystemd {
    BeforeAll {
        Import-Module $Manifest -Force
        $units = Join-Path ([System.IO.Path]::GetTempPath()) ('carpps-units-' + [guid]::NewGuid().ToString('n'))
        $null = New-Item -ItemType Directory -Path $units
    }

    AfterAll {
        Remove-Item -LiteralPath $units -Recurse -Force -ErrorAction Ignore
        Remove-Module CarpPS -ErrorAction Ignore
    }

    It 'writes a timer and a service that pass systemd-analyze verify, running this pwsh with this module' {
        $schedule = Register-CarpFailoverTest -Name carp1 -OnCalendar 'Sun *-*-* 03:00' -Duration 5 -UnitDirectory $units
        $schedule.TimerPath | Should -Be (Join-Path $units 'carpps-failover-test-carp1.timer')
        $service = Get-Content -Raw -LiteralPath $schedule.ServicePath
        $service | Should -Match ([regex]::Escape("ExecStart=`"$(Join-Path $PSHOME 'pwsh')`" -NoProfile -NonInteractive -Command"))
        $service | Should -Match ([regex]::Escape($Manifest))
        $service | Should -Match 'Invoke-CarpFailoverTest -Name ''carp1'' -Duration 5 -Force'
        $service | Should -Match ([regex]::Escape('$$r')) -Because 'systemd would expand a single $'
        $env:SYSTEMD_COLORS = '0'
        $verify = & systemd-analyze verify $schedule.TimerPath $schedule.ServicePath 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($verify -join "`n")
        ($verify -join "`n").Trim() | Should -BeNullOrEmpty
        $listed = @(Get-CarpFailoverTest -Scheduled -UnitDirectory $units)
        $listed | Should -HaveCount 1
        "$($listed[0].Name) $($listed[0].OnCalendar) $($listed[0].Duration) $($listed[0].Return)" | Should -Be 'carp1 Sun *-*-* 03:00 5 False'
    }

    It 'refuses a calendar expression systemd does not accept, with InvalidCalendar, and writes nothing' {
        { Register-CarpFailoverTest -Name carp2 -OnCalendar 'every blue moon' -UnitDirectory $units -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidCalendar,CarpPS.Commands.RegisterCarpFailoverTestCommand'
        Get-ChildItem -LiteralPath $units -Filter '*carp2*' | Should -BeNullOrEmpty
    }

    It 'shows the units with -WhatIf and writes nothing' {
        # What if: goes to the host, so a pwsh of its own shows it on its stdout.
        $shown = & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -Command "Import-Module '$Manifest'; Register-CarpFailoverTest -Name carp3 -OnCalendar daily -UnitDirectory '$units' -WhatIf" | Out-String
        $shown | Should -Match 'OnCalendar=daily'
        $shown | Should -Match 'ExecStart='
        Get-ChildItem -LiteralPath $units -Filter '*carp3*' | Should -BeNullOrEmpty
    }

    It 'removes the units with Unregister-CarpFailoverTest' {
        $removed = @(Unregister-CarpFailoverTest -Name carp* -UnitDirectory $units -PassThru)
        $removed.Name | Should -Be 'carp1'
        Get-ChildItem -LiteralPath $units | Should -BeNullOrEmpty
        { Unregister-CarpFailoverTest -Name carp1 -UnitDirectory $units -ErrorAction Stop } | Should -Throw -ErrorId 'FailoverTestNotScheduled,CarpPS.Commands.UnregisterCarpFailoverTestCommand'
    }
}
