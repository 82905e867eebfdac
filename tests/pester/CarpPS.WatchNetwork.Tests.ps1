#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
    Watch-CarpNetwork on a real segment (docs/protocol.md#segment-watch), typed in a pwsh console of a namespace that
    has no carp interface and no Connect-CarpService: two firewalls (each a pwsh with the engine) share carp1 on a
    bridge; the watcher sees fw1 as master with its address verified by the pass, streams -Continuous objects, and
    flags a split brain once nftables on the bridge cuts the firewalls off from each other.

    Needs root, iproute2, nftables (eng/install-deps.sh). Without them the scenario is skipped, except under CI=true.
#>

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'CarpTestNetwork.psm1') -Force
    $script:Missing = Get-CarpTestPrerequisite
    if (-not $Missing -and -not (Get-Command nft -CommandType Application -ErrorAction Ignore)) { $script:Missing = "the 'nft' command" }
    $script:SkipNetwork = $null -ne $Missing -and $env:CI -ne 'true'
}

Describe 'Watch-CarpNetwork on a real segment' -Tag 'Network' -Skip:$SkipNetwork {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'CarpTestNetwork.psm1') -Force
        Import-Module (Join-Path $PSScriptRoot 'CarpTestKit.psm1') -Force
        $Manifest = Join-Path (Get-CarpTestModuleDirectory) 'CarpPS.psd1'

        $net = New-CarpTestNetwork
        $br = Add-CarpTestNamespace $net 'br'
        Add-CarpTestBridge $br 'br0'
        $fw = foreach ($n in 1, 2) {
            $ns = Add-CarpTestNamespace $net "fw$n"
            Connect-CarpTestNamespace -Namespace $ns -Interface em0 -BridgeNamespace $br -Bridge br0 -Port "l$n" -Address "192.0.2.$n/24"
            $ns
        }
        $watcher = Add-CarpTestNamespace $net 'watch'
        Connect-CarpTestNamespace -Namespace $watcher -Interface eth0 -BridgeNamespace $br -Bridge br0 -Port 'l9' -Address '192.0.2.9/24'
        $console = Start-CarpTestShell -Network $net -Namespace $watcher -Manifest $Manifest

        $shells = foreach ($i in 0, 1) {
            $shell = Start-CarpTestShell -Network $net -Namespace $fw[$i] -Manifest $Manifest
            $skew = if ($i -eq 1) { ' -AdvSkew 100' } else { '' }
            $null = Invoke-CarpTestShell $shell "New-CarpInterface -Name carp1 -Vhid 1 -CarpDev em0 -Pass lanpasswd -Address 192.0.2.100/24$skew"
            $shell
        }
        $null = Invoke-CarpTestShell $shells[0] '(Wait-CarpState -Name carp1 -State Master -Timeout 10).State'
        $null = Invoke-CarpTestShell $shells[1] '(Wait-CarpState -Name carp1 -State Backup -Timeout 10).State'
    }

    AfterAll {
        Remove-CarpTestNetwork $net
    }

    It 'shows firewall 1 as the master of vhid 1, its address verified by the pass' {
        $line = Invoke-CarpTestShell $console 'Watch-CarpNetwork -Interface eth0 -Duration 3.5 -Pass lanpasswd -Address 192.0.2.100 | ForEach-Object { "$($_.Protocol) $($_.Vhid) $($_.Master) $($_.Mac) $($_.Addresses) $($_.HmacVerified -gt 0) $($_.Findings)" }' -Timeout ([timespan]::FromSeconds(20))
        $line | Should -Be 'Carp 1 192.0.2.1 00:00:5e:00:01:01 192.0.2.100 True None'
    }

    It 'renders the default table in 80 columns' {
        $lines = @(Invoke-CarpTestShell $console 'Watch-CarpNetwork -Interface eth0 -Duration 2.5 | Format-Table | Out-String -Width 80 -Stream' -Timeout ([timespan]::FromSeconds(20)))
        ($lines -join "`n") | Should -Match 'CARP 1\s+192\.0\.2\.1\s+00:00:5e:00:01:01\s+1/0'
        $lines | ForEach-Object { $_.TrimEnd().Length | Should -BeLessOrEqual 80 }
    }

    It 'flags a split brain while the firewalls cannot hear each other' {
        Set-Content -LiteralPath (Join-Path $net.WorkDir 'split.nft') -Value @'
table bridge watchsplit {
  chain forward {
    type filter hook forward priority 0;
    iifname "l1" oifname "l2" drop
    iifname "l2" oifname "l1" drop
  }
}
'@
        $null = & ip netns exec $br nft -f (Join-Path $net.WorkDir 'split.nft')
        $LASTEXITCODE | Should -Be 0
        try {
            $found = Invoke-CarpTestShell $console 'Watch-CarpNetwork -Interface eth0 -Continuous -Duration 9 | Where-Object Kind -eq Finding | ForEach-Object { "$($_.Finding) $($_.Vhid) $($_.MasterCount)" }' -Timeout ([timespan]::FromSeconds(30))
            $found | Should -Contain 'SplitBrain 1 2'
            Invoke-CarpTestShell $shells[1] '(Get-CarpStatus -Name carp1).State' | Should -Be 'Master'
        }
        finally {
            & ip netns exec $br nft delete table bridge watchsplit
        }
    }
}
