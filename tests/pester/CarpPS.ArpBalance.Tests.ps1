#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
    The README's ARP-balancing example on a real network, typed in two pwsh consoles (the engine in each pwsh
    process), each host in its own network namespace on one LAN bridge: host A prefers vhid 1, host B vhid 2,
    both carry 192.0.2.10. Two clients (macvlans with their own MAC and address in a client namespace) ask
    who answers: 192.0.2.100 (even: vhid 1, host A) and 192.0.2.101 (odd: vhid 2, host B). Then host A dies.

    Needs root, iproute2, arping and nftables (eng/install-deps.sh). Without them the scenario is skipped,
    except under CI=true where that is a failure.
#>

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'CarpTestNetwork.psm1') -Force
    $script:Missing = Get-CarpTestPrerequisite
    if (-not $Missing -and -not (Get-Command nft -ErrorAction Ignore)) { $script:Missing = 'nftables (nft)' }
    $script:SkipNetwork = $null -ne $Missing -and $env:CI -ne 'true'
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'CarpTestNetwork.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'CarpTestKit.psm1') -Force
    $Manifest = Join-Path (Get-CarpTestModuleDirectory) 'CarpPS.psd1'

    function Wait-State($Shell, [string] $Name, [string] $State, [int] $Timeout = 15) {
        Invoke-CarpTestShell $Shell "(Wait-CarpState -Name $Name -State $State -Timeout $Timeout).State" -Timeout ([timespan]::FromSeconds($Timeout + 10))
    }
}

Describe "The README's ARP-balancing example" -Tag 'Network' -Skip:$SkipNetwork {
    BeforeAll {
        if ($Missing) { throw "The ARP-balancing scenario needs $Missing (CI=true: this is a failure, not a skip)." }

        $readme = Get-Content -Raw -LiteralPath (Join-Path $PSScriptRoot '../../README.md')
        $block = [regex]::Matches($readme, '(?s)```powershell\r?\n(.*?)```') | ForEach-Object { $_.Groups[1].Value } |
            Where-Object { $_ -match 'Set-CarpSysctl -ArpBalance \$true' } | Select-Object -First 1
        $lines = @($block -split '\r?\n' | Where-Object { $_.Trim() -and $_ -notmatch '^\s*Get-CarpStatus' })

        $net = New-CarpTestNetwork
        $br = Add-CarpTestNamespace $net 'br'
        Add-CarpTestBridge $br 'br0'
        $hosts = foreach ($n in 1, 2) {
            $ns = Add-CarpTestNamespace $net "host$n"
            Connect-CarpTestNamespace -Namespace $ns -Interface em0 -BridgeNamespace $br -Bridge br0 -Port "l$n" -Address "192.0.2.$n/24"
            $ns
        }
        $client = Add-CarpTestNamespace $net 'client'
        Connect-CarpTestNamespace -Namespace $client -Interface eth0 -BridgeNamespace $br -Bridge br0 -Port 'c1' -Address '192.0.2.50/24'
        # Two clients with their own MAC and address; only the interface with an address answers for it.
        $null = & ip netns exec $client sysctl -qw net.ipv4.conf.all.arp_ignore=1
        foreach ($k in 0, 1) {
            $null = Invoke-CarpTestIp -n $client link add "cl$k" link eth0 type macvlan mode bridge
            $null = Invoke-CarpTestIp -n $client link set "cl$k" address "02:cc:00:00:00:6$k"
            $null = Invoke-CarpTestIp -n $client addr add "192.0.2.10$k/24" dev "cl$k"
            $null = Invoke-CarpTestIp -n $client link set "cl$k" up
        }

        $shells = foreach ($i in 0, 1) {
            $shell = Start-CarpTestShell -Network $net -Namespace $hosts[$i] -Manifest $Manifest
            foreach ($line in $lines) {
                # Host B swaps the two -AdvSkew values, as the README says.
                if ($i -eq 1) {
                    $line = if ($line -match '-Vhid 2 ') { $line -replace ' -AdvSkew 100', '' } elseif ($line -match '-Vhid 1 ') { $line -replace '(-Address \S+)', '$1 -AdvSkew 100' } else { $line }
                }
                # The second interface on the address warns that it joins a balancing set.
                $null = Invoke-CarpTestShell $shell "$line -WarningAction SilentlyContinue"
            }
            $shell
        }
    }

    AfterAll {
        Remove-CarpTestNetwork $net
    }

    It 'answers each client from the host whose vhid its address selects, once per request' {
        Wait-State $shells[0] carp0 Master | Should -Be 'Master'
        Wait-State $shells[1] carp1 Master | Should -Be 'Master'
        Wait-State $shells[0] carp1 Backup | Should -Be 'Backup'
        Wait-State $shells[1] carp0 Backup | Should -Be 'Backup'

        @(Get-CarpTestArpReply -Namespace $client -Address 192.0.2.10 -Interface cl0) | Should -Be @('00:00:5E:00:01:01', '00:00:5E:00:01:01')
        @(Get-CarpTestArpReply -Namespace $client -Address 192.0.2.10 -Interface cl1) | Should -Be @('00:00:5E:00:01:02', '00:00:5E:00:01:02')
        Invoke-CarpTestShell $shells[0] '(Get-CarpStatus -Name carp0).BalancingSet -join ","' | Should -Be '1,2'
        Invoke-CarpTestShell $shells[0] '(Get-CarpStatus -Name carp0).AnswersArp' | Should -Be 'True'
        Invoke-CarpTestShell $shells[0] '(Get-CarpStatus -Name carp1).AnswersArp' | Should -Be 'False'
        # The default view says it under Master.
        $table = @(Invoke-CarpTestShell $shells[0] 'Get-CarpStatus | Format-Table | Out-String -Stream -Width 80')
        $table -join "`n" | Should -Match '(?m)^carp0 .*\(this node\)\s*\n\s+ARP set 1,2\s*\n\s+\(answers\)\s*\n'
        $table -join "`n" | Should -Match '(?m)^carp1 .*192\.0\.2\.2\s*\n\s+ARP set 1,2\s*\n(?!\s+\(answers\))'
    }

    It 'hands both halves to host B when host A dies, and A leaves no rule behind' {
        $shells[0].Process.Kill()
        Wait-State $shells[1] carp0 Master | Should -Be 'Master'
        Wait-CarpTestCondition -Because "host A's ARP-balancing table outlived its engine" {
            -not ((& ip netns exec $hosts[0] nft list tables arp) -join "`n" -match 'carpps_')
        }
        @(Get-CarpTestArpReply -Namespace $client -Address 192.0.2.10 -Interface cl0) | Should -Be @('00:00:5E:00:01:01', '00:00:5E:00:01:01')
        @(Get-CarpTestArpReply -Namespace $client -Address 192.0.2.10 -Interface cl1) | Should -Be @('00:00:5E:00:01:02', '00:00:5E:00:01:02')
        Invoke-CarpTestShell $shells[1] '@(Get-CarpStatus | Where-Object AnswersArp).Count' | Should -Be '2'
        & ip netns exec $client ping -c 2 -i 0.2 -W 2 -I cl0 192.0.2.10 | Out-Null
        $LASTEXITCODE | Should -Be 0 -Because 'the client of vhid 1 reaches the address through host B'
    }
}
