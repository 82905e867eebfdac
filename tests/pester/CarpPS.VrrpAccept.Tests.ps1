#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
    VRRP's Accept_Mode through the cmdlets (docs/protocol.md#vrrp-accept-mode), on a simulated LAN: New-CarpInterface
    -NoAccept and Set-CarpInterface -Accept set it and the views show it; on a CARP interface both are refused.
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

Describe 'VRRP Accept_Mode' -Tag 'Simulation' {
    BeforeEach {
        $dev = New-TestCarpDev
        $fw1 = Connect-CarpService -Simulation -CarpDev $dev -PassThru
    }

    AfterEach {
        Disconnect-CarpService -Session $fw1
    }

    It 'is on by default, off with -NoAccept, and Set-CarpInterface -Accept switches it on a running master' {
        New-CarpInterface -Session $fw1 -Name vrrp1 -Vhid 10 -CarpDev $dev -Protocol Vrrp -Interval 100ms -Address 192.0.2.1/24
        New-CarpInterface -Session $fw1 -Name vrrp2 -Vhid 11 -CarpDev $dev -Protocol Vrrp -Interval 100ms -NoAccept -Address 192.0.2.2/24
        (Get-CarpInterface -Session $fw1 -Name vrrp1).Accept | Should -BeTrue
        (Get-CarpInterface -Session $fw1 -Name vrrp2).Accept | Should -BeFalse
        $null = Wait-CarpState -Session $fw1 -Name vrrp2 -State Master -Timeout 10
        (Get-CarpStatus -Session $fw1 -Name vrrp2).Accept | Should -BeFalse

        $updated = Set-CarpInterface -Session $fw1 -Name vrrp2 -Accept $true -PassThru -Force
        $updated.Accept | Should -BeTrue
        $updated.State | Should -Be 'Master'
        (Set-CarpInterface -Session $fw1 -Name vrrp1 -Accept $false -PassThru -Force).Accept | Should -BeFalse
    }

    It 'is refused on a CARP interface, which stays as it was' {
        { New-CarpInterface -Session $fw1 -Name carp1 -Vhid 1 -CarpDev $dev -NoAccept -Address 192.0.2.1/24 -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidArgument,CarpPS.Commands.NewCarpInterfaceCommand'
        Get-CarpInterface -Session $fw1 | Should -BeNullOrEmpty

        New-CarpInterface -Session $fw1 -Name carp1 -Vhid 1 -CarpDev $dev -Address 192.0.2.1/24
        { Set-CarpInterface -Session $fw1 -Name carp1 -Accept $false -Force -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidArgument,CarpPS.Commands.SetCarpInterfaceCommand'
        (Get-CarpInterface -Session $fw1 -Name carp1).Accept | Should -BeTrue
    }
}
