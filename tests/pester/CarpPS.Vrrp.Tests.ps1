#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
    VRRPv3 interfaces through the cmdlets (docs/protocol.md#vrrp), on simulated LANs: no root, nothing on any network.
    -Protocol Vrrp with -Priority and -Interval elects by priority; status and views show the VRRP settings; Set-CarpInterface
    changes them; misplaced or bad values are refused with their error ids and change nothing.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'CarpTestKit.psm1') -Force
    $Manifest = Join-Path (Get-CarpTestModuleDirectory) 'CarpPS.psd1'
    Import-Module $Manifest -Force -ErrorAction Stop
    function New-TestCarpDev { 'pv{0}' -f (Get-Random -Minimum 1000 -Maximum 99999999) }
}

AfterAll {
    Remove-Module CarpPS -ErrorAction SilentlyContinue
}

Describe 'VRRPv3 interfaces' -Tag 'Simulation' {
    BeforeEach {
        $dev = New-TestCarpDev
        $fw1 = Connect-CarpService -Simulation -CarpDev $dev -PassThru
        $fw2 = Connect-CarpService -Simulation -CarpDev $dev -PassThru
    }

    AfterEach {
        Disconnect-CarpService -Session $fw1
        Disconnect-CarpService -Session $fw2
    }

    It 'elects the higher priority at 100 ms and shows the VRRP settings' {
        New-CarpInterface -Session $fw2 -Name vrrp1 -Vhid 10 -CarpDev $dev -Protocol Vrrp -Priority 100 -Interval 100ms -Address 192.0.2.1/24
        New-CarpInterface -Session $fw1 -Name vrrp1 -Vhid 10 -CarpDev $dev -Protocol Vrrp -Priority 200 -Interval '0.1s' -Address 192.0.2.1/24
        $null = Wait-CarpState -Session $fw1 -Name vrrp1 -State Master -Timeout 10
        # The backup has heard the master once its status names the master's priority.
        $deadline = [datetime]::UtcNow.AddSeconds(5)
        do { $backup = Get-CarpStatus -Session $fw2 -Name vrrp1 } until ($backup.MasterPriority -eq 200 -or [datetime]::UtcNow -gt $deadline)
        $backup.State | Should -Be 'Backup'
        $backup.Protocol | Should -Be 'Vrrp'
        $backup.Priority | Should -Be 100
        $backup.Interval | Should -Be ([timespan]::FromMilliseconds(100))
        $backup.MasterPriority | Should -Be 200
        $backup.MasterInterval | Should -Be ([timespan]::FromMilliseconds(100))
        $info = Get-CarpInterface -Session $fw1 -Name vrrp1
        $info.Protocol | Should -Be 'Vrrp'
        $info.Preempt | Should -BeTrue
        $info.HasPass | Should -BeFalse
        ($info | Format-Table | Out-String -Width 80) | Should -Match 'vrrp1\s+10\s+\S+\s+100ms\s+pri 200\s+VRRPv3\s+no\s+192\.0\.2\.1/24'
        ($backup | Format-Table | Out-String -Width 80) | Should -Match 'Backup\s+192\.0\.2\.1/24\s+pri 100'
        ($backup | Format-List | Out-String) | Should -Match 'MasterPriority\s+:\s+200'
    }

    It 'hands over when the master leaves (priority 0) and the priority changes without a restart' {
        New-CarpInterface -Session $fw1 -Name vrrp1 -Vhid 10 -CarpDev $dev -Protocol Vrrp -Priority 200 -Interval 100ms -Address 192.0.2.1/24
        New-CarpInterface -Session $fw2 -Name vrrp1 -Vhid 10 -CarpDev $dev -Protocol Vrrp -Priority 100 -Interval 100ms -Address 192.0.2.1/24
        $null = Wait-CarpState -Session $fw1 -Name vrrp1 -State Master -Timeout 10
        Remove-CarpInterface -Session $fw1 -Name vrrp1 -Confirm:$false
        $took = Wait-CarpState -Session $fw2 -Name vrrp1 -State Master -Timeout 5
        $took.State | Should -Be 'Master'

        $updated = Set-CarpInterface -Session $fw2 -Name vrrp1 -Priority 150 -Interval 200ms -Preempt $false -PassThru -Force
        $updated.Priority | Should -Be 150
        $updated.Interval | Should -Be ([timespan]::FromMilliseconds(200))
        $updated.Preempt | Should -BeFalse
        $updated.State | Should -Be 'Master'
    }

    It 'hands over on Suspend-CarpInterface (priority 0) and refuses the CARP failover drill' {
        New-CarpInterface -Session $fw1 -Name vrrp1 -Vhid 10 -CarpDev $dev -Protocol Vrrp -Priority 200 -Interval 100ms -Address 192.0.2.1/24
        New-CarpInterface -Session $fw2 -Name vrrp1 -Vhid 10 -CarpDev $dev -Protocol Vrrp -Priority 100 -Interval 100ms -Address 192.0.2.1/24
        $null = Wait-CarpState -Session $fw1 -Name vrrp1 -State Master -Timeout 10
        { Invoke-CarpFailoverTest -Session $fw1 -Name vrrp1 -Force -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidArgument,CarpPS.Commands.InvokeCarpFailoverTestCommand'

        Suspend-CarpInterface -Session $fw1 -Name vrrp1 -Force
        (Wait-CarpState -Session $fw2 -Name vrrp1 -State Master -Timeout 5).State | Should -Be 'Master'
        $suspended = Get-CarpStatus -Session $fw1 -Name vrrp1
        $suspended.State | Should -Be 'Backup'
        $suspended.LastTransitionReason | Should -Be 'Suspended'
    }

    It 'refuses <Case> with <ErrorId> and creates nothing' -ForEach @(
        @{ Case = 'a pass'; Extra = @{ Pass = 'x' }; ErrorId = 'InvalidPass' }
        @{ Case = 'priority 255'; Extra = @{ Priority = 255 }; ErrorId = 'InvalidPriority' }
        @{ Case = 'a 15 ms interval'; Extra = @{ Interval = '15ms' }; ErrorId = 'InvalidInterval' }
        @{ Case = 'a 50 s interval'; Extra = @{ Interval = '50s' }; ErrorId = 'InvalidInterval' }
        @{ Case = '-AdvSkew'; Extra = @{ AdvSkew = 100 }; ErrorId = 'InvalidArgument' }
        @{ Case = 'both families'; Extra = @{ Address = '192.0.2.1/24', '2001:db8::1/64' }; ErrorId = 'InvalidAddress' }
    ) {
        $arguments = @{ Session = $fw1; Name = 'vrrp1'; Vhid = 10; CarpDev = $dev; Protocol = 'Vrrp'; Address = '192.0.2.1/24' }
        foreach ($key in $Extra.Keys) { $arguments[$key] = $Extra[$key] }
        { New-CarpInterface @arguments -ErrorAction Stop } | Should -Throw -ErrorId "$ErrorId,CarpPS.Commands.NewCarpInterfaceCommand"
        Get-CarpInterface -Session $fw1 | Should -BeNullOrEmpty
    }

    It 'refuses an interval without a unit, and VRRP parameters on a CARP interface' {
        { New-CarpInterface -Session $fw1 -Name vrrp1 -Vhid 10 -CarpDev $dev -Protocol Vrrp -Interval 10 -Address 192.0.2.1/24 -ErrorAction Stop } |
            Should -Throw '*has no unit*'
        { New-CarpInterface -Session $fw1 -Name vrrp1 -Vhid 10 -CarpDev $dev -Protocol Vrrp -Interval 0.1s -Address 192.0.2.1/24 -ErrorAction Stop } |
            Should -Throw "*write '0.1s' in quotes*"
        { New-CarpInterface -Session $fw1 -Name carp1 -Vhid 1 -CarpDev $dev -Priority 200 -Address 192.0.2.1/24 -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidArgument,CarpPS.Commands.NewCarpInterfaceCommand'
        Get-CarpInterface -Session $fw1 | Should -BeNullOrEmpty
    }

    It 'keeps the protocol of an interface: another one is refused with ProtocolFixed' {
        New-CarpInterface -Session $fw1 -Name vrrp1 -Vhid 10 -CarpDev $dev -Protocol Vrrp -Address 192.0.2.1/24
        New-CarpInterface -Session $fw1 -Name carp1 -Vhid 1 -CarpDev $dev -Address 192.0.2.2/24
        { Set-CarpInterface -Session $fw1 -Name vrrp1 -Protocol Carp -Force -ErrorAction Stop } | Should -Throw -ErrorId 'ProtocolFixed,CarpPS.Commands.SetCarpInterfaceCommand'
        { Set-CarpInterface -Session $fw1 -Name carp1 -Priority 150 -Force -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidArgument,CarpPS.Commands.SetCarpInterfaceCommand'
        (Get-CarpInterface -Session $fw1 -Name vrrp1).Protocol | Should -Be 'Vrrp'
        (Get-CarpInterface -Session $fw1 -Name carp1).Protocol | Should -Be 'Carp'
    }
}
