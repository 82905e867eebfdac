#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
    carpd --status --json as an operator uses it from pwsh: ConvertFrom-Json gives the running carpd's whole state
    (carpd --simulate on a temporary socket: no root, no packets), and --output leaves a file a monitoring agent reads.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'CarpTestKit.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'CarpDscKit.psm1') -Force
    $Carpd = Get-CarpTestCarpdPath
}

AfterAll {
    Remove-Module CarpDscKit, CarpTestKit -ErrorAction SilentlyContinue
}

Describe 'carpd --status --json' -Tag 'Simulation' {
    BeforeAll {
        Set-Content -LiteralPath (Join-Path $TestDrive 'fw1.conf') -Value "net.inet.carp.preempt=1`ncarp1 vhid 1 carpdev em0 pass lanpasswd maintenance 192.0.2.100/24`n"
        $Daemon = Start-CarpDscCarpd -Directory $TestDrive -Name fw1
    }

    AfterAll {
        Stop-CarpDscCarpd -Carpd $Daemon
    }

    It 'gives the whole state to ConvertFrom-Json, without the pass' {
        $text = & $Carpd --status --json --socket $Daemon.Socket
        $LASTEXITCODE | Should -Be 0
        $state = $text | ConvertFrom-Json
        $state.server | Should -Be 'carpd'
        $state.interfaces.name | Should -Be 'carp1'
        $state.interfaces.state | Should -Be 'Backup'   # in maintenance: it stays out of mastership
        $state.maintenance | Should -Be 'carp1'
        $state.sysctls.preempt | Should -Be 1
        $state.daemon.pid | Should -Be $Daemon.Process.Id
        $state.transitionsByReason.carp1.Started | Should -Be 1
        ($text -join "`n") | Should -Not -Match 'lanpasswd'
    }

    It 'writes it with --output to a file others may read' {
        $file = Join-Path $TestDrive 'carpd-state.json'
        & $Carpd --status --json --output $file --socket $Daemon.Socket
        $LASTEXITCODE | Should -Be 0
        [int](Get-Item -LiteralPath $file).UnixFileMode | Should -Be 0x1A4   # 0644: no secret in it
        (Get-Content -Raw -LiteralPath $file | ConvertFrom-Json).interfaces[0].name | Should -Be 'carp1'
    }

    It 'fails with exit code 1 and a reason when no carpd answers' {
        $errors = & $Carpd --status --json --socket (Join-Path $TestDrive 'none.sock') 2>&1
        $LASTEXITCODE | Should -Be 1
        ($errors -join "`n") | Should -Match 'none\.sock'
    }
}
