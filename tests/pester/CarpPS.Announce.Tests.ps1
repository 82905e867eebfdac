#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
    Announcement bursts and refresh through the cmdlets (docs/protocol.md#announcements), on simulated LANs: no root,
    nothing on any network. The settings round-trip through Get-CarpInterface | New-CarpInterface, Set-CarpInterface changes
    them, a MASTER counts what it announced, and bad values are refused with their error ids and change nothing.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'CarpTestKit.psm1') -Force
    $Manifest = Join-Path (Get-CarpTestModuleDirectory) 'CarpPS.psd1'
    Import-Module $Manifest -Force -ErrorAction Stop
    function New-TestCarpDev { 'pa{0}' -f (Get-Random -Minimum 1000 -Maximum 99999999) }
}

AfterAll {
    Remove-Module CarpPS -ErrorAction SilentlyContinue
}

Describe 'Announcement settings' -Tag 'Simulation' {
    BeforeEach {
        $dev = New-TestCarpDev
        $fw1 = Connect-CarpService -Simulation -CarpDev $dev -PassThru
        $fw2 = Connect-CarpService -Simulation -CarpDev $dev -PassThru
    }

    AfterEach {
        Disconnect-CarpService -Session $fw1
        Disconnect-CarpService -Session $fw2
    }

    It 'takes count, spacing and refresh, counts the burst, and survives the pipeline into another node' {
        New-CarpInterface -Session $fw1 -Name carp1 -Vhid 1 -CarpDev $dev -Pass lanpasswd -Address 192.0.2.100/24 -AnnounceCount 3 -AnnounceSpacing 100ms -AnnounceRefresh '60s'
        $null = Wait-CarpState -Session $fw1 -Name carp1 -State Master -Timeout 10
        $deadline = [datetime]::UtcNow.AddSeconds(5)
        do { $status = Get-CarpStatus -Session $fw1 -Name carp1 } until ($status.Announcements -ge 3 -or [datetime]::UtcNow -gt $deadline)
        $status.AnnounceCount | Should -Be 3
        $status.AnnounceSpacing | Should -Be ([timespan]::FromMilliseconds(100))
        $status.AnnounceRefresh | Should -Be ([timespan]::FromSeconds(60))
        $status.Announcements | Should -BeGreaterOrEqual 3

        Get-CarpInterface -Session $fw1 -Name carp1 | New-CarpInterface -Session $fw2 -Pass lanpasswd -AdvSkew 100
        $copy = Get-CarpInterface -Session $fw2 -Name carp1
        ($copy.AnnounceCount, $copy.AnnounceSpacing, $copy.AnnounceRefresh) | Should -Be @(3, [timespan]::FromMilliseconds(100), [timespan]::FromSeconds(60))
    }

    It 'changes them with Set-CarpInterface, and 0 turns the refresh off' {
        New-CarpInterface -Session $fw1 -Name carp1 -Vhid 1 -CarpDev $dev -Address 192.0.2.100/24 -AnnounceRefresh '30s'
        Set-CarpInterface -Session $fw1 -Name carp1 -AnnounceCount 5 -AnnounceSpacing 250ms -AnnounceRefresh 0
        $info = Get-CarpInterface -Session $fw1 -Name carp1
        ($info.AnnounceCount, $info.AnnounceSpacing, $info.AnnounceRefresh) | Should -Be @(5, [timespan]::FromMilliseconds(250), [timespan]::Zero)
    }

    It 'refuses <Case> with <ErrorId> and creates nothing' -ForEach @(
        @{ Case = 'a spacing of 1.5 ms'; Extra = @{ AnnounceSpacing = '1.5ms' }; ErrorId = 'InvalidArgument' }
        @{ Case = 'a spacing of 11 s'; Extra = @{ AnnounceSpacing = '11s' }; ErrorId = 'InvalidArgument' }
        @{ Case = 'a refresh of 1.5 s'; Extra = @{ AnnounceRefresh = '1.5s' }; ErrorId = 'InvalidArgument' }
        @{ Case = 'a refresh over a day'; Extra = @{ AnnounceRefresh = '2.00:00:00' }; ErrorId = 'InvalidArgument' }
        @{ Case = 'a count of 0'; Extra = @{ AnnounceCount = 0 }; ErrorId = 'ParameterArgumentValidationError' }
    ) {
        $arguments = @{ Session = $fw1; Name = 'carp1'; Vhid = 1; CarpDev = $dev; Address = '192.0.2.100/24' }
        foreach ($key in $Extra.Keys) { $arguments[$key] = $Extra[$key] }
        { New-CarpInterface @arguments -ErrorAction Stop } | Should -Throw -ErrorId "$ErrorId,CarpPS.Commands.NewCarpInterfaceCommand"
        Get-CarpInterface -Session $fw1 | Should -BeNullOrEmpty
    }

    It 'refuses a bad value on Set-CarpInterface and changes nothing' {
        New-CarpInterface -Session $fw1 -Name carp1 -Vhid 1 -CarpDev $dev -Address 192.0.2.100/24 -AnnounceCount 2
        { Set-CarpInterface -Session $fw1 -Name carp1 -AnnounceCount 3 -AnnounceRefresh '0.5s' -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidArgument,CarpPS.Commands.SetCarpInterfaceCommand'
        (Get-CarpInterface -Session $fw1 -Name carp1).AnnounceCount | Should -Be 2
    }
}
