#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
    The seed's scenarios on a real network, driven the way an operator drives them: each firewall is its
    own pwsh process inside its own network namespace, typing the cmdlets; real addresses move on veth
    links joined by bridges (a LAN 192.0.2.0/24 and a WAN 198.51.100.0/24), and a client on the LAN asks
    who answers for the gateway. Once with the engine in the pwsh processes, once in carpd behind
    Connect-CarpService.

    - The two firewalls: fw1 and fw2 share carp1 (LAN, carpdev em0) and carp2 (WAN, em1), named as in the
      seed; fw2 has -AdvSkew 128; preempt is on.
    - Group failover: one carpdev of the master goes down, so it advertises advskew 240 on the other one
      and every carp interface fails over together; they come back when the carpdev does.
    - Notification: a Register-CarpAction hook runs a carpcontrol.sh, like devd's, on every state change.
    - The master dies: the backup takes over and the client still reaches the gateway.

    Needs root, iproute2, arping, tcpdump and tshark (eng/install-deps.sh). Without them the scenarios are
    skipped, except under CI=true where that is a failure.
#>

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'CarpTestNetwork.psm1') -Force
    $script:Missing = Get-CarpTestPrerequisite
    $script:SkipNetwork = $null -ne $Missing -and $env:CI -ne 'true'
    $script:Engines = @(@{ Engine = 'pwsh' }, @{ Engine = 'carpd' })
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'CarpTestNetwork.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'CarpTestKit.psm1') -Force
    $moduleDir = Get-CarpTestModuleDirectory
    $Manifest = Join-Path $moduleDir 'CarpPS.psd1'

    function Wait-State($Shell, [string] $Name, [string] $State, [int] $Timeout = 15) {
        Invoke-CarpTestShell $Shell "(Wait-CarpState -Name $Name -State $State -Timeout $Timeout).State" -Timeout ([timespan]::FromSeconds($Timeout + 10))
    }

    function Get-HookLine {
        if (Test-Path -LiteralPath $HookLog) { @(Get-Content -LiteralPath $HookLog) } else { @() }
    }
}

Describe "The seed's two firewalls with the engine in <Engine>" -Tag 'Network' -ForEach $Engines -Skip:$SkipNetwork {
    BeforeAll {
        if ($Missing = Get-CarpTestPrerequisite) { throw "The namespace scenarios need $Missing (CI=true: this is a failure, not a skip)." }

        $net = New-CarpTestNetwork
        $br = Add-CarpTestNamespace $net 'br'
        Add-CarpTestBridge $br 'br0'
        Add-CarpTestBridge $br 'br1'
        $fw = foreach ($n in 1, 2) {
            $ns = Add-CarpTestNamespace $net "fw$n"
            Connect-CarpTestNamespace -Namespace $ns -Interface em0 -BridgeNamespace $br -Bridge br0 -Port "l$n" -Address "192.0.2.$n/24"
            Connect-CarpTestNamespace -Namespace $ns -Interface em1 -BridgeNamespace $br -Bridge br1 -Port "w$n" -Address "198.51.100.$n/24"
            $ns
        }
        $client = Add-CarpTestNamespace $net 'client'
        Connect-CarpTestNamespace -Namespace $client -Interface eth0 -BridgeNamespace $br -Bridge br0 -Port 'c1' -Address '192.0.2.50/24'

        # devd's carpcontrol.sh: gets "vhid@interface" and MASTER/BACKUP/INIT, logs them.
        $HookLog = Join-Path $net.WorkDir 'carpcontrol.log'
        $hookScript = Join-Path $net.WorkDir 'carpcontrol.sh'
        Set-Content -LiteralPath $hookScript -Value "#!/bin/sh`necho `"`$1 `$2`" >> '$HookLog'"
        & chmod 0755 $hookScript

        $daemons = @($null, $null)
        $shells = foreach ($i in 0, 1) {
            if ($Engine -eq 'carpd') {
                # Each firewall's carpd on its default socket, as installed; the README's plain Connect-CarpService finds it.
                $daemons[$i] = Start-CarpTestCarpd -Network $net -Namespace $fw[$i] -Name "fw$($i + 1)"
                $shell = Start-CarpTestShell -Network $net -Namespace $fw[$i] -Manifest $Manifest -MountNamespaceOf $daemons[$i].Process
                $null = Invoke-CarpTestShell $shell 'Connect-CarpService'
            } else {
                $shell = Start-CarpTestShell -Network $net -Namespace $fw[$i] -Manifest $Manifest
            }

            # The seed, as typed on each firewall: the second one with -AdvSkew 128.
            $skew = if ($i -eq 1) { ' -AdvSkew 128' } else { '' }
            $null = Invoke-CarpTestShell $shell 'Set-CarpSysctl -Preempt $true'
            $null = Invoke-CarpTestShell $shell "New-CarpInterface -Name carp1 -Vhid 1 -CarpDev em0 -Pass lanpasswd -Address 192.0.2.100/24$skew"
            $null = Invoke-CarpTestShell $shell "New-CarpInterface -Name carp2 -Vhid 2 -CarpDev em1 -Pass wanpasswd -Address 198.51.100.100/24$skew"
            $shell
        }
        $hook = '$null = Register-CarpAction -EventType StateChanged -ScriptBlock { param($e) & ''HOOK'' "$($e.Vhid)@$($e.Interface)" $e.NewState.ToString().ToUpperInvariant() }'
        $null = Invoke-CarpTestShell $shells[1] $hook.Replace('HOOK', $hookScript)
    }

    AfterAll {
        Remove-CarpTestNetwork $net
    }

    It 'elects firewall 1 for the LAN and the WAN, and the LAN client gets one answer per request' {
        Wait-State $shells[0] carp1 Master | Should -Be 'Master'
        Wait-State $shells[0] carp2 Master | Should -Be 'Master'
        Wait-State $shells[1] carp1 Backup | Should -Be 'Backup'
        Wait-State $shells[1] carp2 Backup | Should -Be 'Backup'
        # fw2 is BACKUP from the start; it names fw1 as the master once it has heard fw1's first advert as MASTER.
        Wait-CarpTestCondition -Because 'fw2 never named fw1 (192.0.2.1) as the master of carp1' {
            (Invoke-CarpTestShell $shells[1] '(Get-CarpStatus -Name carp1).MasterSeen') -eq '192.0.2.1'
        }

        $replies = @(Get-CarpTestArpReply -Namespace $client -Address 192.0.2.100 -Count 2)
        $replies.Count | Should -Be 2 -Because 'one firewall, and only one, answers each request'
        (Invoke-CarpTestIp -n $fw[0] -o addr show dev carp1) -join "`n" | Should -Match '192\.0\.2\.100/24'
        (Invoke-CarpTestIp -n $fw[1] -o addr show) -join "`n" | Should -Not -Match '192\.0\.2\.100/'
    }

    if ($Engine -eq 'carpd') {
        It "runs the README's carpd lines as written on firewall 2" {
            $readme = Get-Content -Raw -LiteralPath (Join-Path $PSScriptRoot '../../README.md')
            $block = [regex]::Matches($readme, '(?s)```powershell\r?\n(.*?)```') | ForEach-Object { $_.Groups[1].Value } |
                Where-Object { $_ -match '(?m)^Connect-CarpService\s+#' } | Select-Object -First 1
            $lines = @($block -split '\r?\n' | Where-Object { $_.Trim() })
            $lines.Count | Should -BeGreaterThan 1
            foreach ($line in $lines) { $null = Invoke-CarpTestShell $shells[1] $line }

            # fw2 advertises faster than before, still slower than fw1: a change that forces no failover, so no question.
            Invoke-CarpTestShell $shells[1] '(Get-CarpInterface carp1).AdvSkew' | Should -Be '100'
            Invoke-CarpTestShell $shells[1] '(Get-CarpStatus carp1).State' | Should -Be 'Backup'
            Invoke-CarpTestShell $shells[0] '(Get-CarpStatus carp1).State' | Should -Be 'Master'

            # Its Connect-CarpService replaced the connection the hook was bound to, which ended the hook: register it again.
            Invoke-CarpTestShell $shells[1] '@(Get-CarpAction | Where-Object IsActive).Count' | Should -Be '0'
            $null = Invoke-CarpTestShell $shells[1] $hook.Replace('HOOK', $hookScript)
        }
    }

    It 'fails both interfaces over together when the master loses its LAN carpdev, advertising advskew 240 on the WAN' {
        $wan = Start-CarpTestCapture -Network $net -Namespace $br -Interface br1
        $null = Invoke-CarpTestIp -n $fw[0] link set em0 down

        Wait-State $shells[1] carp1 Master | Should -Be 'Master'
        Wait-State $shells[1] carp2 Master | Should -Be 'Master'
        Wait-State $shells[0] carp2 Backup | Should -Be 'Backup'
        Invoke-CarpTestShell $shells[0] '(Get-CarpStatus -Name carp1).State' | Should -Be 'Init'
        $adverts = @(Stop-CarpTestCapture $wan)
        $fromFw1 = @($adverts | Where-Object { $_.Source -eq '198.51.100.1' -and $_.Vhid -eq 2 })
        $fromFw1.AdvSkew | Should -Contain 240 -Because 'a downed carpdev demotes every carp interface of the host (ifdown_demotion_factor)'
        ($adverts | Where-Object { $_.Source -eq '198.51.100.2' }).AdvSkew | Should -Contain 128

        # The notification hook ran for both takeovers, as devd runs carpcontrol.sh.
        Wait-CarpTestCondition -Because 'the hook did not report fw2 MASTER of both' {
            (Get-HookLine) -contains '1@carp1 MASTER' -and (Get-HookLine) -contains '2@carp2 MASTER'
        }

        # The carpdev comes back: its demotion goes, and with preempt fw1 takes both back.
        $null = Invoke-CarpTestIp -n $fw[0] link set em0 up
        Wait-State $shells[0] carp1 Master | Should -Be 'Master'
        Wait-State $shells[0] carp2 Master | Should -Be 'Master'
        Wait-State $shells[1] carp1 Backup | Should -Be 'Backup'
        Wait-State $shells[1] carp2 Backup | Should -Be 'Backup'
        Wait-CarpTestCondition -Because 'the hook did not report fw2 BACKUP again' {
            @(Get-HookLine | Where-Object { $_ -eq '2@carp2 BACKUP' }).Count -ge 1 -and
            [array]::LastIndexOf([string[]](Get-HookLine), '2@carp2 BACKUP') -gt [array]::IndexOf([string[]](Get-HookLine), '2@carp2 MASTER')
        }
    }

    It 'hands the gateway to firewall 2 when firewall 1 dies, and the client still reaches it' {
        # fw1 dies: whatever runs its engine (the pwsh process or carpd) is killed.
        $victim = if ($Engine -eq 'carpd') { $daemons[0].Process } else { $shells[0].Process }
        $victim.Kill()

        Wait-State $shells[1] carp1 Master | Should -Be 'Master'
        Wait-State $shells[1] carp2 Master | Should -Be 'Master'
        # fw1's address guardian removed what the dead engine held: nothing is left answering there.
        Wait-CarpTestCondition -Because 'fw1 still holds 192.0.2.100 after its engine died' {
            -not ((Invoke-CarpTestIp -n $fw[0] -o addr show) -join "`n" -match '192\.0\.2\.100/')
        }
        $replies = @(Get-CarpTestArpReply -Namespace $client -Address 192.0.2.100 -Count 2)
        $replies.Count | Should -Be 2 -Because 'fw2 alone answers for the gateway now'
        (Invoke-CarpTestIp -n $fw[1] -o addr show dev carp1) -join "`n" | Should -Match '192\.0\.2\.100/24'
        Wait-CarpTestCondition -Because 'the hook did not report the takeover' {
            [array]::LastIndexOf([string[]](Get-HookLine), '1@carp1 MASTER') -gt [array]::LastIndexOf([string[]](Get-HookLine), '1@carp1 BACKUP')
        }
    }

    It 'never shows a pass in what the firewalls printed' {
        foreach ($shell in $shells) {
            $printed = $shell.Transcript | Where-Object { -not $_.StartsWith('> ') }
            $printed -join "`n" | Should -Not -Match 'lanpasswd|wanpasswd'
        }
        if ($Engine -eq 'carpd') {
            foreach ($daemon in $daemons) { Get-Content -Raw -LiteralPath $daemon.Log | Should -Not -Match 'lanpasswd|wanpasswd' }
        }
    }
}
