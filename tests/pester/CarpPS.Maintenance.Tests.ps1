#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
    Maintenance mode on a real network (docs/protocol.md#maintenance): two firewalls, each with carpd on its default
    socket and its own configuration file (--config), as installed. fw1 (advskew 0) is MASTER of carp1, fw2 (advskew 128)
    BACKUP; preempt is on.

    - Suspend-CarpInterface carp1 on fw1: its bow-out hands carp1 to fw2 well within fw2's master-down interval (3.5 s).
    - fw1's carpd is killed and started again with the same file: carp1 is still suspended and BACKUP.
    - Resume-CarpInterface carp1: with preempt, fw1 takes carp1 back.

    Needs root, iproute2, arping, tcpdump and tshark (eng/install-deps.sh), like CarpPS.Network.Tests.ps1.
#>

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'CarpTestNetwork.psm1') -Force
    $script:Missing = Get-CarpTestPrerequisite
    $script:SkipNetwork = $null -ne $Missing -and $env:CI -ne 'true'
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'CarpTestNetwork.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'CarpTestKit.psm1') -Force
    $moduleDir = Get-CarpTestModuleDirectory
    $Manifest = Join-Path $moduleDir 'CarpPS.psd1'

    function Wait-State($Shell, [string] $Name, [string] $State, [int] $Timeout = 15) {
        Invoke-CarpTestShell $Shell "(Wait-CarpState -Name $Name -State $State -Timeout $Timeout).State" -Timeout ([timespan]::FromSeconds($Timeout + 10))
    }

    # One firewall's carpd with its configuration file, and a console that joined its mount namespace (its /run).
    function Start-Firewall([int] $Index, [string] $Name) {
        $daemon = Start-CarpTestCarpd -Network $net -Namespace $fw[$Index] -Name $Name -Config $configs[$Index]
        $shell = Start-CarpTestShell -Network $net -Namespace $fw[$Index] -Manifest $Manifest -MountNamespaceOf $daemon.Process
        $null = Invoke-CarpTestShell $shell 'Connect-CarpService'
        [pscustomobject]@{ Daemon = $daemon; Shell = $shell }
    }
}

Describe 'Maintenance mode survives a carpd restart' -Tag 'Network' -Skip:$SkipNetwork {
    BeforeAll {
        if ($Missing = Get-CarpTestPrerequisite) { throw "The namespace scenarios need $Missing (CI=true: this is a failure, not a skip)." }

        $net = New-CarpTestNetwork
        $br = Add-CarpTestNamespace $net 'br'
        Add-CarpTestBridge $br 'br0'
        $fw = foreach ($n in 1, 2) {
            $ns = Add-CarpTestNamespace $net "fw$n"
            Connect-CarpTestNamespace -Namespace $ns -Interface em0 -BridgeNamespace $br -Bridge br0 -Port "l$n" -Address "192.0.2.$n/24"
            $ns
        }

        # The seed's LAN interface in carpd's words, fw2 with advskew 128; files of mode 0600, as carpd saves them.
        $configs = foreach ($n in 1, 2) {
            $path = Join-Path $net.WorkDir "fw$n.carpd.conf"
            $skew = if ($n -eq 2) { ' advskew 128' } else { '' }
            Set-Content -LiteralPath $path -Value "net.inet.carp.preempt=1", "carp1 vhid 1 carpdev em0 pass lanpasswd$skew 192.0.2.100/24"
            & chmod 0600 $path
            $path
        }
        $firewalls = [System.Collections.Generic.List[object]]::new()
        $firewalls.Add((Start-Firewall 0 'fw1'))
        $firewalls.Add((Start-Firewall 1 'fw2'))
    }

    AfterAll {
        Remove-CarpTestNetwork $net
    }

    It 'elects firewall 1' {
        Wait-State $firewalls[0].Shell carp1 Master | Should -Be 'Master'
        Wait-State $firewalls[1].Shell carp1 Backup | Should -Be 'Backup'
        Wait-CarpTestCondition -Because 'fw2 never heard fw1 as the master of carp1' {
            (Invoke-CarpTestShell $firewalls[1].Shell '(Get-CarpStatus -Name carp1).MasterSeen') -eq '192.0.2.1'
        }
    }

    It 'hands carp1 to firewall 2 at once when firewall 1 is suspended, and saves it' {
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $null = Invoke-CarpTestShell $firewalls[0].Shell 'Suspend-CarpInterface -Name carp1 -Force'
        Wait-State $firewalls[1].Shell carp1 Master 10 | Should -Be 'Master'
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 2.5 -Because "the bow-out makes fw2 take over before its master-down interval (3.5 s)"

        Invoke-CarpTestShell $firewalls[0].Shell '(Get-CarpStatus -Name carp1).State' | Should -Be 'Backup'
        Invoke-CarpTestShell $firewalls[0].Shell '(Get-CarpStatus -Name carp1).Maintenance' | Should -Be 'True'
        Invoke-CarpTestShell $firewalls[0].Shell '(Get-CarpStatus -Name carp1).LastTransitionReason' | Should -Be 'Suspended'
        Get-Content -Raw -LiteralPath $configs[0] | Should -Match '(?m)^carp1 .* maintenance 192\.0\.2\.100/24$'
        (Invoke-CarpTestIp -n $fw[0] -o addr show) -join "`n" | Should -Not -Match '192\.0\.2\.100/'
    }

    It 'keeps firewall 1 suspended and BACKUP after its carpd restarts' {
        $firewalls[0].Daemon.Process.Kill()
        $firewalls[0].Daemon.Process.WaitForExit()
        $firewalls[0] = Start-Firewall 0 'fw1-restarted'

        Invoke-CarpTestShell $firewalls[0].Shell '(Get-CarpStatus -Name carp1).Maintenance' | Should -Be 'True'
        # Longer than its master-down interval (3 s): neither preempt nor master-down makes it MASTER.
        Start-Sleep -Seconds 5
        Invoke-CarpTestShell $firewalls[0].Shell '(Get-CarpStatus -Name carp1).State' | Should -Be 'Backup'
        Invoke-CarpTestShell $firewalls[1].Shell '(Get-CarpStatus -Name carp1).State' | Should -Be 'Master'
        Invoke-CarpTestShell $firewalls[0].Shell '(Get-CarpStatus -Name carp1).MasterSeen' | Should -Be '192.0.2.2'
    }

    It 'gives carp1 back to firewall 1 when it is resumed, with preempt' {
        $null = Invoke-CarpTestShell $firewalls[0].Shell 'Resume-CarpInterface -Name carp1'
        Wait-State $firewalls[0].Shell carp1 Master | Should -Be 'Master'
        Wait-State $firewalls[1].Shell carp1 Backup | Should -Be 'Backup'
        Invoke-CarpTestShell $firewalls[0].Shell '(Get-CarpStatus -Name carp1).Maintenance' | Should -Be 'False'
        Get-Content -Raw -LiteralPath $configs[0] | Should -Not -Match 'maintenance'
    }
}
