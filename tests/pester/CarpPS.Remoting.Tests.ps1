#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
    A fleet over PowerShell remoting (issue 11): the README's "Fleets over PowerShell remoting (SSH)" block as
    written, run from a third host against two firewalls.

    - Namespaces fw1 (192.0.2.1) and fw2 (192.0.2.2) on a LAN bridge, each with carpd on its default socket
      (a private /run) and an OpenSSH sshd started by the test in carpd's mount namespace, in a UTS namespace
      named fw1 or fw2, whose "powershell" subsystem is the pwsh running this suite with the module on its
      PSModulePath. Root logs in with a key made for the test only.
    - Invoke-CarpFailoverTest runs on both firewalls through Invoke-Command -HostName: fw1 (the master) drills,
      fw2 (a backup) refuses with FailoverTestNotMaster.
    - Namespace admin (192.0.2.50) runs a pwsh that imported CarpPS, with a home folder of the test's bound
      over root's (its .ssh holds the client key and the firewalls' host keys: StrictHostKeyChecking stays on)
      and a hosts file naming fw1 and fw2: the README's Invoke-Command -HostName fw1, fw2 lines run unchanged.

    Needs what CarpPS.Network.Tests.ps1 needs, plus openssh-server (eng/install-deps.sh). Without them the
    scenarios are skipped, except under CI=true where that is a failure.
#>

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'CarpTestNetwork.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'CarpTestRemoting.psm1') -Force
    $script:Missing = if ($m = Get-CarpTestPrerequisite) { $m } else { Get-CarpTestSshPrerequisite }
    $script:SkipRemoting = $null -ne $Missing -and $env:CI -ne 'true'
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'CarpTestNetwork.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'CarpTestRemoting.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'CarpTestKit.psm1') -Force
    $moduleDir = Get-CarpTestModuleDirectory
    $Manifest = Join-Path $moduleDir 'CarpPS.psd1'

    # Each Invoke-Command starts a pwsh on every firewall it names: slow on a busy machine, never a fixed wait.
    function Invoke-Admin([string] $Command, [int] $Timeout = 180) {
        Invoke-CarpTestShell $admin $Command -Timeout ([timespan]::FromSeconds($Timeout))
    }

    # A README line, checked to be in the block as written, run in the admin shell into $Into.
    function Invoke-ReadmeLine([string] $Line, [string] $Into) {
        $ReadmeLines | Should -Contain $Line -Because 'the test runs the README line as written'
        $null = Invoke-Admin "`$$Into = @(Invoke-Expression '$($Line.Replace("'", "''"))')" # the line may end in a comment
    }

    # Waits on the firewall itself (Wait-CarpState polls the engine) through remoting; returns the state reached.
    function Wait-RemoteState([string] $HostName, [string] $State) {
        Invoke-Admin "Invoke-Command -HostName $HostName @ssh { Connect-CarpService; `"`$((Wait-CarpState carp1 -State $State -Timeout 30).State)`" }"
    }

    # What each firewall reported changing: "fw1: preempt,carp1" or "fw1: nothing", sorted by host.
    function Get-Changed([string] $Variable) {
        Invoke-Admin "`$$Variable | Sort-Object PSComputerName | ForEach-Object { `"`$(`$_.PSComputerName): `$(if (`$_.Changed) { `$_.Changed -join ',' } else { 'nothing' })`" }"
    }
}

Describe 'Two firewalls driven over PowerShell remoting (SSH) from an admin host' -Tag 'Network', 'Remoting' -Skip:$SkipRemoting {
    BeforeAll {
        if ($Missing = if ($m = Get-CarpTestPrerequisite) { $m } else { Get-CarpTestSshPrerequisite }) {
            throw "The remoting scenarios need $Missing (CI=true: this is a failure, not a skip)."
        }
        $readme = Get-Content -Raw -LiteralPath (Join-Path $PSScriptRoot '../../README.md')
        $block = [regex]::Matches($readme, '(?s)```powershell\r?\n(.*?)```') | ForEach-Object { $_.Groups[1].Value } |
            Where-Object { $_ -match 'Invoke-Command -HostName fw1, fw2' } | Select-Object -First 1
        $ReadmeLines = @($block -split '\r?\n')
        $ConvergeLine = 'Invoke-Command -HostName fw1, fw2 @ssh $converge -ArgumentList $nodes   # Changed, per PSComputerName'
        # The block's definitions: everything before its first Invoke-Command line.
        $firstCall = [array]::FindIndex([string[]]$ReadmeLines, [Predicate[string]] { param($l) $l.StartsWith('Invoke-Command ') })
        $firstCall | Should -BeGreaterThan 0 -Because 'the README has a remoting block that defines $ssh and $converge'

        $net = New-CarpTestNetwork
        $br = Add-CarpTestNamespace $net 'br'
        Add-CarpTestBridge $br 'br0'
        $adminNs = Add-CarpTestNamespace $net 'admin'
        Connect-CarpTestNamespace -Namespace $adminNs -Interface eth0 -BridgeNamespace $br -Bridge br0 -Port 'a1' -Address '192.0.2.50/24'
        $clientHome = New-CarpTestSshClientHome -Network $net
        $fw = @{}
        $daemons = @{}
        foreach ($n in 1, 2) {
            $fw[$n] = Add-CarpTestNamespace $net "fw$n"
            Connect-CarpTestNamespace -Namespace $fw[$n] -Interface em0 -BridgeNamespace $br -Bridge br0 -Port "l$n" -Address "192.0.2.$n/24"
            $daemons[$n] = Start-CarpTestCarpd -Network $net -Namespace $fw[$n] -Name "fw$n"
            $sshd = Start-CarpTestSshd -Network $net -Namespace $fw[$n] -HostName "fw$n" -Address "192.0.2.$n" -MountNamespaceOf $daemons[$n].Process `
                -AuthorizedKey $clientHome.PublicKey -ModulePath (Split-Path (Split-Path $moduleDir))
            Add-CarpTestSshKnownHost -ClientHome $clientHome -Sshd $sshd
        }

        # The README's Import-Module CarpPS, by name, finds the module under test.
        $rootHome = (& getent passwd 0).Split(':')[5]
        $modulePath = (Split-Path (Split-Path $moduleDir)) + [IO.Path]::PathSeparator + $env:PSModulePath
        $admin = Start-CarpTestShell -Network $net -Namespace $adminNs -Manifest $Manifest -Environment @{ HOME = $rootHome; PSModulePath = $modulePath } `
            -BindMount @{ $clientHome.Path = $rootHome; $clientHome.Hosts = '/etc/hosts' }
        $definitions = Join-Path $net.WorkDir 'readme-remoting.ps1'
        Set-Content -LiteralPath $definitions -Value $ReadmeLines[0..($firstCall - 1)]
        $null = Invoke-Admin ". '$definitions'"
    }

    AfterAll {
        Remove-CarpTestNetwork $net
    }

    It "reaches each firewall by its host name with the test's key, in the firewall's own namespaces" {
        # The admin's ssh sees only the test's home: known_hosts there, and no key of root's.
        Invoke-Admin '(Get-Content ~/.ssh/known_hosts).Count' | Should -Be '2'
        $seen = Invoke-Admin 'Invoke-Command -HostName fw1, fw2 @ssh { "$([System.Net.Dns]::GetHostName()) $(Test-Path /run/carpd/carpd.sock) $((Get-Module -ListAvailable CarpPS).Version)" } | Sort-Object'
        $version = (Import-PowerShellDataFile $Manifest).ModuleVersion
        $seen | Should -Be "fw1 True $version", "fw2 True $version"
    }

    It 'converges both firewalls with the plain cmdlets, and a second run changes nothing' {
        Invoke-ReadmeLine $ConvergeLine -Into first
        Get-Changed first | Should -Be 'fw1: preempt,carp1', 'fw2: preempt,carp1'

        Invoke-ReadmeLine $ConvergeLine -Into again
        Get-Changed again | Should -Be 'fw1: nothing', 'fw2: nothing'

        $configured = Invoke-Admin @'
Invoke-Command -HostName fw1, fw2 @ssh { Connect-CarpService; Get-CarpInterface; "preempt=$((Get-CarpSysctl -Name preempt).Value)" } |
    Sort-Object PSComputerName | ForEach-Object { if ($_ -is [string]) { $_ } else { "$($_.PSComputerName) $($_.Name) $($_.Vhid) $($_.CarpDev) $($_.Address) $($_.AdvSkew) $($_.HasPass)" } }
'@.Replace("`r", '').Replace("`n", ' ')
        $configured | Should -Contain 'fw1 carp1 1 em0 192.0.2.100/24 0 True'
        $configured | Should -Contain 'fw2 carp1 1 em0 192.0.2.100/24 128 True'
        @($configured | Where-Object { $_ -eq 'preempt=1' }).Count | Should -Be 2
    }

    It 'returns deserialized statuses, fw1 Master and fw2 Backup, that print with the module''s view in 80 columns' {
        Wait-RemoteState fw1 Master | Should -Be 'Master'
        Wait-RemoteState fw2 Backup | Should -Be 'Backup'
        # fw2 names the master once it has heard fw1 advertise as MASTER: polled through remoting.
        Wait-CarpTestCondition -Timeout ([timespan]::FromSeconds(120)) -Because 'fw2 never named fw1 (192.0.2.1) as the master of carp1' {
            (Invoke-Admin 'Invoke-Command -HostName fw2 @ssh { Connect-CarpService; "$((Get-CarpStatus carp1).MasterSeen)" }') -eq '192.0.2.1'
        }

        Invoke-ReadmeLine 'Invoke-Command -HostName fw1, fw2 @ssh { Connect-CarpService; Get-CarpStatus }' -Into status
        $rows = Invoke-Admin '$status | Sort-Object PSComputerName | ForEach-Object { "$($_.PSComputerName) $($_.PSTypeNames[0]) $($_.Name) $($_.State) $($_.HasPass)" }'
        $rows | Should -Be 'fw1 Deserialized.CarpPS.CarpStatus carp1 Master True', 'fw2 Deserialized.CarpPS.CarpStatus carp1 Backup True'

        $table = @(Invoke-Admin '$status | Sort-Object PSComputerName | Format-Table | Out-String -Stream -Width 80')
        $text = $table -join "`n"
        $text | Should -Match '(?m)^Name\s+Vhid\s+CarpDev\s+State\s+Address\s+AdvSkew\s+Master' -Because "the module's CarpStatus view, not the default list, prints the deserialized objects:`n$text"
        # Remoting adds a PSComputerName column after the view's; in 80 columns the Master column then wraps
        # ("(this no" / "de)", "192.0.2" / ".1"), as the view's rows do, rather than cutting a value.
        $text | Should -Match '(?m)^Name .*PSCompu' -Because 'each row names the firewall it came from'
        $text | Should -Match '(?m)^carp1\s+1\s+em0\s+Master\s+192\.0\.2\.100/24\s+0\s+\(this[^\n]*\sfw1\s*$'
        $text | Should -Match '(?m)^carp1\s+1\s+em0\s+Backup\s+192\.0\.2\.100/24\s+128\s+192\.0\.2\S*\s+fw2\s*$'
        $text | Should -Not -Match '…'
        $table | Where-Object { $_.Length -gt 80 } | Should -BeNullOrEmpty
        $text | Should -Not -Match 'lanpasswd'
    }

    It 'hands the gateway to fw2 when fw1 is told to step aside remotely, and the next convergence gives it back' {
        Invoke-ReadmeLine 'Invoke-Command -HostName fw1 @ssh { Connect-CarpService; Set-CarpInterface carp1 -AdvSkew 200 -Force }' -Into aside
        Wait-RemoteState fw2 Master | Should -Be 'Master'
        Wait-RemoteState fw1 Backup | Should -Be 'Backup'
        Wait-CarpTestCondition -Because 'fw2 does not hold 192.0.2.100' { (Invoke-CarpTestIp -n $fw[2] -o addr show) -join "`n" -match '192\.0\.2\.100/24' }
        Wait-CarpTestCondition -Because 'fw1 still holds 192.0.2.100' { -not ((Invoke-CarpTestIp -n $fw[1] -o addr show) -join "`n" -match '192\.0\.2\.100/') }

        Invoke-ReadmeLine $ConvergeLine -Into back
        Get-Changed back | Should -Be 'fw1: carp1 advskew', 'fw2: nothing'
        Wait-RemoteState fw1 Master | Should -Be 'Master'
        Wait-RemoteState fw2 Backup | Should -Be 'Backup'
    }

    It 'runs Invoke-CarpFailoverTest on the master through remoting: fw2 takes over, fw1 takes carp1 back by preempt' {
        # fw1 is MASTER again after the convergence above; preempt is on on both. The drill runs on the master (a
        # backup has nothing to hand over: FailoverTestNotMaster), its history in the test's folder.
        Wait-RemoteState fw1 Master | Should -Be 'Master'
        $history = Join-Path $net.WorkDir 'remote-drill.jsonl'
        $null = Invoke-Admin "`$drill = @(Invoke-Command -HostName fw1 @ssh { Connect-CarpService; Invoke-CarpFailoverTest -Name carp1 -Duration 2 -Force -HistoryPath '$history' })"
        # Remoting serializes one level deep: NewMaster arrives as its text, "address (MAC)".
        $rows = @(Invoke-Admin '$drill | ForEach-Object { "$($_.PSComputerName) $($_.PSTypeNames[0]) $($_.Verdict) $($_.NewMaster) $($_.Return) $($_.MeasuredOn)" }')
        $rows | Should -HaveCount 1
        $rows[0] | Should -Match '^fw1 Deserialized\.CarpPS\.CarpFailoverTestResult Passed 192\.0\.2\.2 \(([0-9a-f]{2}:){5}[0-9a-f]{2}\) Preempt Wire$'
        Wait-RemoteState fw2 Backup | Should -Be 'Backup'
        Invoke-Admin 'Invoke-Command -HostName fw2 @ssh { Connect-CarpService; Invoke-CarpFailoverTest -Name carp1 -Force -ErrorAction SilentlyContinue -ErrorVariable refused; "$($refused.FullyQualifiedErrorId)" }' |
            Should -Be 'FailoverTestNotMaster,CarpPS.Commands.InvokeCarpFailoverTestCommand'
        $figures = Invoke-Admin '$drill | ForEach-Object { "handover $($_.HandoverMs) ms, echo outage $($_.OutageMs) ms, return $($_.ReturnMs) ms, bound $($_.BoundMs) ms" }'
        Write-Host "MEASURED (remoting, carpd on fw1): $figures"
        $table = @(Invoke-Admin '$drill | Format-Table | Out-String -Stream -Width 80')
        ($table -join "`n") | Should -Match '(?m)^Name\s+Vhid\s+Verdict\s+NewMaster' -Because "the module's view prints the deserialized result"
        $table | Where-Object { $_.Length -gt 80 } | Should -BeNullOrEmpty
        Wait-RemoteState fw1 Master | Should -Be 'Master'
        Wait-RemoteState fw2 Backup | Should -Be 'Backup'
        (Get-Content -LiteralPath $history | Measure-Object).Count | Should -Be 1
    }

    It 'converges both firewalls with a DSC configuration applied through remoting' {
        # The CarpInterface resource class on each firewall (carp3 on em0, fw2 with advskew 128), Test then Set as a DSC
        # engine does, against that firewall's carpd; run twice, the second run finds both in the desired state.
        $apply = @'
$dsc = Invoke-Command -HostName fw1, fw2 @ssh {
    $module = Import-Module CarpPS -PassThru | Select-Object -First 1
    $resource = (& $module { [CarpInterface] })::new()
    $resource.Name = 'carp3'; $resource.Vhid = 3; $resource.CarpDev = 'em0'; $resource.Address = '192.0.2.103/24'
    $resource.AdvSkew = if ([System.Net.Dns]::GetHostName() -eq 'fw2') { 128 } else { 0 }
    $before = $resource.Test()
    if (-not $before) { $resource.Set() }
    [pscustomobject]@{ Before = $before; After = $resource.Test() }
} | Sort-Object PSComputerName | ForEach-Object { "$($_.PSComputerName) $($_.Before) $($_.After)" }
'@.Replace("`r", '').Replace("`n", '; ').Replace('{; ', '{ ').Replace('; }', ' }')
        $null = Invoke-Admin $apply
        Invoke-Admin '$dsc' | Should -Be 'fw1 False True', 'fw2 False True'
        $null = Invoke-Admin $apply
        Invoke-Admin '$dsc' | Should -Be 'fw1 True True', 'fw2 True True'

        $carp3 = Invoke-Admin 'Invoke-Command -HostName fw1, fw2 @ssh { Connect-CarpService; Get-CarpInterface carp3 } | Sort-Object PSComputerName | ForEach-Object { "$($_.PSComputerName) $($_.Vhid) $($_.Address) $($_.AdvSkew)" }'
        $carp3 | Should -Be 'fw1 3 192.0.2.103/24 0', 'fw2 3 192.0.2.103/24 128'
    }

    It 'leaves no pass in what the firewalls logged' {
        foreach ($n in 1, 2) { Get-Content -Raw -LiteralPath $daemons[$n].Log | Should -Not -Match 'lanpasswd' }
    }
}
