#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
    Every help example runs as written (issue 10).

    The examples are found as a user finds them:
      - cmdlets: every example of every exported cmdlet, from Get-Help <cmdlet> -Examples (the installed
        en-US/CarpPS.dll-Help.xml, generated from src/CarpPS/Help/<cmdlet>.md);
      - about topics: every example block of the installed en-US/about_*.help.txt. An example there is a block of
        lines indented by eight spaces whose first line starts with "PS> "; it goes on to the next line that is
        blank or indented less, and the code is each line without the eight spaces and its "PS> " (documented
        under EXAMPLES IN THIS TOPIC in about_CarpPS; HelpTests.AboutExamples in the xunit suite uses the same rule).

    Each example runs in a fresh runspace that imports the module and first runs
        Connect-CarpService -Simulation -CarpDev em0,em1
    (em0 the LAN and em1 the WAN, as in the README), with its current directory set to a new temp directory and
    Read-Host standing for a user who types a pass. Then the example's setup from $Entries below, if any, then
    the example's text exactly as Get-Help shows it. It must raise no error: no terminating error, nothing in its
    error stream and nothing added to $Error. Where the example's remarks say what it outputs, its entry's Check
    asserts that. The runspace has no host UI, so an example that would ask a question (a failover confirmation)
    fails: the help tells users to pass -Force in scripts, and so do the examples.

    Examples about the real network (root, real em0/em1, a running carpd) have a Network reason in $Entries and
    run in the same simulation with the same carpdev names; their Replace, if any, is the only change made to
    their text. Nothing is sent on any network: the in-process engine is never started.
#>

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'CarpTestKit.psm1') -Force
    $moduleDir = Get-CarpTestModuleDirectory
    Import-Module (Join-Path $moduleDir 'CarpPS.psd1') -Force -ErrorAction Stop
    try {
        $script:CmdletNames = @(Get-Command -Module CarpPS -CommandType Cmdlet | Sort-Object Name | ForEach-Object Name)
        $script:Examples = @(
            foreach ($name in $CmdletNames) {
                $number = 0
                foreach ($example in @((Get-Help -Name $name -Examples).examples.example)) {
                    $number++
                    @{
                        Key     = "$name $number"
                        Title   = ($example.title -replace '^[-\s]+|[-\s]+$', '')
                        Code    = [string]$example.code
                        Remarks = (@($example.remarks.Text) -join ' ').Trim()
                    }
                }
            }
            foreach ($file in Get-ChildItem -Path (Join-Path $moduleDir 'en-US') -Filter 'about_*.help.txt' | Sort-Object Name) {
                $topic = $file.Name -replace '\.help\.txt$', ''
                $number = 0
                $block = $null
                foreach ($line in (Get-Content -LiteralPath $file.FullName) + '') {
                    if ($null -eq $block -and $line.StartsWith('        PS> ')) {
                        $block = [System.Collections.Generic.List[string]]::new()
                    } elseif ($null -ne $block -and (-not $line.StartsWith('        ') -or $line.Trim().Length -eq 0)) {
                        $number++
                        @{ Key = "$topic $number"; Title = $block[0]; Code = $block -join "`n"; Remarks = '' }
                        $block = $null
                    }
                    if ($null -ne $block) {
                        $code = $line.Substring(8)
                        $block.Add($(if ($code.StartsWith('PS> ')) { $code.Substring(4) } else { $code }))
                    }
                }
            }
        )
        $aboutTopics = @(Get-ChildItem -Path (Join-Path $moduleDir 'en-US') -Filter 'about_*.help.txt' | ForEach-Object { $_.Name -replace '\.help\.txt$', '' })
        $script:Counts = @(foreach ($source in $CmdletNames + $aboutTopics) {
                @{ Source = $source; Count = @($Examples | Where-Object { $_.Key -like "$source *" }).Count }
            })
        $script:Keys = @($Examples | ForEach-Object { $_.Key })
    } finally {
        Remove-Module CarpPS -ErrorAction SilentlyContinue
    }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'CarpTestKit.psm1') -Force
    $moduleDir = Get-CarpTestModuleDirectory
    $Manifest = Join-Path $moduleDir 'CarpPS.psd1'

    # What every example's runspace runs first. Read-Host is a user typing a pass (the examples read passes with -AsSecureString).
    $Prelude = @'
if (-not (Get-Module CarpPS)) { throw 'CarpPS was not imported into the example runspace.' }
function global:Read-Host {
    param([Parameter(Position = 0)] [object] $Prompt, [switch] $AsSecureString, [switch] $MaskInput)
    if (-not $AsSecureString) { throw 'The help examples read a pass with Read-Host -AsSecureString.' }
    ConvertTo-SecureString -String 'Zq9-typed-pass' -AsPlainText -Force
}
Connect-CarpService -Simulation -CarpDev em0,em1
'@

    # The states an example can need before it runs: keep this list small.
    $Setups = @{
        # carp1 exists, just created: INIT or BACKUP, no peer heard.
        Carp1          = 'New-CarpInterface -Name carp1 -Vhid 1 -CarpDev em0 -Address 192.0.2.100/24'
        # carp1 exists and is MASTER: removing it or making it BACKUP is a failover that asks without -Force.
        Carp1Master    = 'New-CarpInterface -Name carp1 -Vhid 1 -CarpDev em0 -Address 192.0.2.100/24
                          $null = Wait-CarpState -Name carp1 -State Master -Timeout 10 -ErrorAction Stop'
        # carp1 exists with advskew 100, and a peer engine on em0 ($peer) is MASTER of vhid 1 with advskew 0.
        Carp1BehindPeer = '$peer = Connect-CarpService -Simulation -CarpDev em0,em1 -PassThru
                          New-CarpInterface -Session $peer -Name carp1 -Vhid 1 -CarpDev em0 -Address 192.0.2.100/24
                          $null = Wait-CarpState -Session $peer -Name carp1 -State Master -Timeout 10 -ErrorAction Stop
                          Connect-CarpService -Simulation -CarpDev em0,em1
                          New-CarpInterface -Name carp1 -Vhid 1 -CarpDev em0 -Address 192.0.2.100/24 -AdvSkew 100'
        # carp1 exists and is in maintenance mode (BACKUP, no peer heard).
        Carp1Suspended = 'New-CarpInterface -Name carp1 -Vhid 1 -CarpDev em0 -Address 192.0.2.100/24
                          Suspend-CarpInterface -Name carp1 -Force'
        # carp1 is MASTER in the current connection and a peer engine on em0 ($peer, advskew 100) is its BACKUP; drills keep their history in
        # the example's directory.
        Carp1MasterWithPeer = '$env:CARPPS_FAILOVER_HISTORY = Join-Path $PWD failover-tests.jsonl
                          $peer = Connect-CarpService -Simulation -CarpDev em0,em1 -PassThru
                          $null = New-CarpInterface -Session $peer -Name carp1 -Vhid 1 -CarpDev em0 -Address 192.0.2.100/24 -AdvSkew 100
                          Connect-CarpService -Simulation -CarpDev em0,em1
                          $null = New-CarpInterface -Name carp1 -Vhid 1 -CarpDev em0 -Address 192.0.2.100/24
                          $null = Wait-CarpState -Name carp1 -State Master -Timeout 10 -ErrorAction Stop
                          $null = Wait-CarpState -Session $peer -Name carp1 -State Backup -Timeout 10 -ErrorAction Stop'
        # The same, after one drill: the history holds a result.
        FailoverHistory = '$env:CARPPS_FAILOVER_HISTORY = Join-Path $PWD failover-tests.jsonl
                          $peer = Connect-CarpService -Simulation -CarpDev em0,em1 -PassThru
                          $null = New-CarpInterface -Session $peer -Name carp1 -Vhid 1 -CarpDev em0 -Address 192.0.2.100/24 -AdvSkew 100
                          Connect-CarpService -Simulation -CarpDev em0,em1
                          $null = New-CarpInterface -Name carp1 -Vhid 1 -CarpDev em0 -Address 192.0.2.100/24
                          $null = Wait-CarpState -Name carp1 -State Master -Timeout 10 -ErrorAction Stop
                          $null = Wait-CarpState -Session $peer -Name carp1 -State Backup -Timeout 10 -ErrorAction Stop
                          $null = Invoke-CarpFailoverTest -Name carp1 -Duration 0 -Force'
        # A drill of carp1 is scheduled in the example's directory.
        Scheduled      = '$null = Register-CarpFailoverTest -Name carp1 -OnCalendar daily -UnitDirectory $PWD'
        # One registered action, which does nothing.
        Action         = '$null = Register-CarpAction -EventType StateChanged -ScriptBlock { }'
        # ./carp.csv describes carp1 on em0 and carp2 on em1.
        CarpCsv        = "Set-Content -Path ./carp.csv -Value 'Name,Vhid,CarpDev,Address', 'carp1,1,em0,192.0.2.100/24', 'carp2,2,em1,198.51.100.100/24'"
    }

    # A file-writing example writes into the example's temp directory instead of /var/log ({temp} is that directory).
    $ToTemp = @(, @('/var/log/', '{temp}/'))

    # Per example (by "<cmdlet> <n>" or "<about topic> <n>", n counting from 1 as Get-Help shows them): its Setup (names in
    # $Setups), a Network reason, Replace (pairs of regex and replacement applied to its text) and a Check of what the remarks
    # say it outputs: { param($Output, $Run, $Temp) }, where $Run runs more text in the example's runspace and returns its output.
    # An example without an entry runs with no setup and is checked for errors only.
    $Entries = @{
        # Use carpd
        'Connect-CarpService 1'     = @{ Network = 'needs a running carpd: its bare Connect-CarpService becomes the simulation'
                                         Replace = @(, @('(?m)^Connect-CarpService$', 'Connect-CarpService -Simulation -CarpDev em0,em1')) }
        'Connect-CarpService 2'     = @{ Check = { param($Output) $Output[-1].Name | Should -Be 'carp1'; $Output[-1].State | Should -Be 'Master' } }
        'Connect-CarpService 3'     = @{ Check = {
                param($Output, $Run)
                $Output | Should -HaveCount 2
                $Output[0].State | Should -Be 'Master'
                $Output[1].State | Should -Be 'Backup'
                & $Run '(Get-CarpSysctl -Session $fw2 -Name preempt).Value' | Should -Be 1
            } }
        'Disconnect-CarpService 2'  = @{ Check = { param($Output) $Output | Should -HaveCount 1; $Output[0] | Should -BeFalse } }
        'Get-CarpAction 1'          = @{ Setup = 'Action'; Check = { param($Output) $Output | Should -HaveCount 1; $Output[0].GetType().FullName | Should -Be 'CarpPS.CarpActionRegistration' } }
        'Get-CarpAction 2'          = @{ Setup = 'Action' }
        'Get-CarpAction 3'          = @{ Setup = 'Action'; Check = { param($Output, $Run) & $Run 'Get-CarpAction' | Should -BeNullOrEmpty } }
        'Invoke-CarpFailoverTest 1' = @{ Setup = 'Carp1MasterWithPeer'; Check = {
                param($Output)
                $Output | Should -HaveCount 1
                $Output[0].Verdict | Should -Be 'Passed'
                $Output[0].NewMaster.Address | Should -Not -BeNullOrEmpty
                $Output[0].HandoverMs | Should -BeLessThan $Output[0].BoundMs
            } }
        'Invoke-CarpFailoverTest 2' = @{ Setup = 'Carp1MasterWithPeer'; Check = {
                # Select-Object's objects lose their properties here (BaseObject): the history and the folder say what happened.
                param($Output, $Run, $Temp)
                $Output | Should -HaveCount 1
                (& $Run 'Get-CarpFailoverTest -Last 1').Return | Should -Be 'Forced'
                @(Get-ChildItem -LiteralPath (Join-Path $Temp 'drills') -Filter 'carp1-vhid1-*').Extension | Sort-Object | Should -Be '.png', '.svg'
            } }
        'Invoke-CarpFailoverTest 3' = @{ Setup = 'Carp1MasterWithPeer'; Check = { param($Output) $Output | Should -BeNullOrEmpty } }
        'Get-CarpFailoverTest 1'    = @{ Setup = 'FailoverHistory'; Check = { param($Output) $Output | Should -HaveCount 1; $Output[0].Verdict | Should -Be 'Passed' } }
        'Get-CarpFailoverTest 2'    = @{ Setup = 'FailoverHistory'; Check = { param($Output) $Output | Should -BeNullOrEmpty } }
        'Register-CarpFailoverTest 1' = @{ Check = { param($Output, $Run, $Temp) $Output | Should -BeNullOrEmpty; Get-ChildItem -LiteralPath $Temp | Should -BeNullOrEmpty } }
        'Register-CarpFailoverTest 2' = @{ Network = 'writes real units to /etc/systemd/system'; Replace = @(, @('/etc/systemd/system', '{temp}'))
                                         Check = { param($Output, $Run, $Temp) $Output | Should -HaveCount 1; Join-Path $Temp 'carpps-failover-test-carp1.timer' | Should -Exist } }
        'Unregister-CarpFailoverTest 1' = @{ Setup = 'Scheduled'; Network = 'removes real units from /etc/systemd/system'; Replace = @(, @('/etc/systemd/system', '{temp}'))
                                         Check = { param($Output, $Run, $Temp) $Output | Should -HaveCount 1; Get-ChildItem -LiteralPath $Temp | Should -BeNullOrEmpty } }
        'Watch-CarpNetwork 1'       = @{ Check = { param($Output) $Output | Should -BeNullOrEmpty } }
        'Watch-CarpNetwork 2'       = @{ Check = { param($Output) "$($Output[-1])" | Should -Match '^vhid 1: master 192\.0\.2\.\d+, addresses 192\.0\.2\.100, verified [1-9]\d*, findings None$' } }
        'Watch-CarpNetwork 3'       = @{ Check = { param($Output) $Output | Should -BeNullOrEmpty } }
        'Watch-CarpNetwork 4'       = @{ Network = 'needs a running carpd: without -Service it listens on the simulated LAN'; Replace = @(, @(' -Service', '')) }
        'Get-CarpInterface 1'       = @{ Setup = 'Carp1'; Check = { param($Output) $Output | Should -HaveCount 1; $Output[0].Name | Should -Be 'carp1'; $Output[0].CarpDev | Should -Be 'em0' } }
        'Get-CarpInterface 2'       = @{ Setup = 'Carp1'; Check = { param($Output, $Run) (& $Run 'Get-CarpInterface -Name carp1').AdvBase | Should -Be 2 } }
        'Get-CarpInterface 3'       = @{ Check = { param($Output) $Output | Should -HaveCount 1; $Output[0].Name | Should -Be 'carp1' } }
        'Get-CarpStatistics 1'      = @{ Check = { param($Output) $Output | Should -HaveCount 1; $Output[0].PSObject.Properties.Name | Should -Contain 'BadAuth' } }
        'Get-CarpStatistics 2'      = @{ Check = { param($Output) $Output | Should -HaveCount 1; $Output[0] | Should -BeGreaterThan 0 } }
        'Get-CarpStatus 1'          = @{ Setup = 'Carp1'; Check = { param($Output) $Output | Should -HaveCount 1; $Output[0].GetType().FullName | Should -Be 'CarpPS.CarpStatus'; $Output[0].Name | Should -Be 'carp1' } }
        'Get-CarpStatus 2'          = @{ Setup = 'Carp1' }
        'Get-CarpStatus 3'          = @{ Check = { param($Output) $Output | Should -HaveCount 1; $Output[0].Name | Should -Be 'carp1'; $Output[0].State | Should -Be 'Backup' } }
        'Get-CarpSysctl 1'          = @{ Check = { param($Output) $Output.Name | Should -Contain 'preempt' } }
        'Get-CarpSysctl 2'          = @{ Check = { param($Output) $Output | Should -HaveCount 1; $Output[0] | Should -Be 0 } }
        'Get-CarpSysctl 3'          = @{ Check = { param($Output) $Output | Should -Not -BeNullOrEmpty; $Output.Name | Should -BeLike '*demotion*' } }
        # The two-firewall setup of carp(4)
        'New-CarpInterface 1'       = @{ Network = 'a real firewall with its LAN on em0'; Check = {
                param($Output, $Run)
                (& $Run 'Get-CarpInterface -Name carp1').HasPass | Should -BeTrue
                (& $Run 'Get-CarpSysctl -Name preempt').Value | Should -Be 1
            } }
        'New-CarpInterface 2'       = @{ Check = { param($Output) $Output | Should -HaveCount 2; $Output[0].State | Should -Be 'Master'; $Output[1].State | Should -Be 'Backup' } }
        # IPv4 and IPv6 addresses, a secure pass and an OpenBSD peer
        'New-CarpInterface 3'       = @{ Network = 'a real host with em0'; Check = {
                param($Output)
                $Output | Should -HaveCount 1
                $Output[0].Name | Should -Be 'carp2'
                $Output[0].Address | Should -HaveCount 2
                $Output[0].Profile | Should -Be 'OpenBSD'
                $Output[0].HasPass | Should -BeTrue
            } }
        # A VRRPv3 pair at 100 ms: the status of the backup names the master's priority and interval.
        'New-CarpInterface 6'       = @{ Check = {
                param($Output, $Run)
                $Output | Should -HaveCount 2
                $Output[0].State | Should -Be 'Master'
                $backup = & $Run 'Get-CarpStatus -Session $fw2 -Name vrrp1'
                $backup.State | Should -Be 'Backup'
                $backup.Protocol | Should -Be 'Vrrp'
                $backup.MasterPriority | Should -Be 200
            } }
        'New-CarpInterface 4'       = @{ Setup = 'CarpCsv'; Check = { param($Output, $Run) & $Run 'Get-CarpInterface' | Should -BeNullOrEmpty } }
        'New-CarpInterface 5'       = @{ Check = { param($Output, $Run)
                $Output | Should -HaveCount 2; $Output[0].State | Should -Be 'Master'
                # Select-Object's objects lose their properties on the way out of the runspace: read them again there.
                & $Run '$i = Get-CarpInterface -Session $fw2; "$($i.State) $($i.Peer -join '','')"' | Should -Be 'Backup 192.0.2.11'
                & $Run '(Get-CarpInterface -Session $fw1).Peer -join '',''' | Should -Be '192.0.2.12' } }
        # A notify script that moves a route. Its action runs `ip route` on the host: no interface changes state in this test, so it never runs.
        'Register-CarpAction 1'     = @{ Network = 'moves a real route when carp1 fails over'
                                         Check = { param($Output) $Output | Should -HaveCount 1; $Output[0].GetType().FullName | Should -Be 'CarpPS.CarpActionRegistration' } }
        'Register-CarpAction 2'     = @{ Replace = $ToTemp; Check = {
                param($Output, $Run, $Temp)
                & $Run 'New-CarpInterface -Name carp1 -Vhid 1 -CarpDev em0 -Address 192.0.2.100/24'
                Wait-LogLine -Path (Join-Path $Temp 'carp-states.log') -Pattern 'carp1 Init -> Backup' | Should -BeTrue
            } }
        'Register-CarpEvent 1'      = @{ Replace = $ToTemp; Check = {
                param($Output, $Run, $Temp)
                & $Run 'New-CarpInterface -Name carp1 -Vhid 1 -CarpDev em0 -Address 192.0.2.100/24'
                # -Action runs when the runspace runs a command: $Run runs an empty one while waiting.
                Wait-LogLine -Path (Join-Path $Temp 'carp-states.log') -Pattern 'carp1 Init -> Backup' -Run $Run | Should -BeTrue
            } }
        'Register-CarpEvent 2'      = @{ Setup = 'Carp1'; Check = { param($Output) $Output | Should -HaveCount 1; $Output[0].NewState | Should -BeIn 'Backup', 'Master' } }
        'Register-CarpEvent 3'      = @{ Check = { param($Output) $Output | Should -Not -BeNullOrEmpty; ($Output -join "`n") | Should -Match 'Master' } }
        'Remove-CarpInterface 1'    = @{ Setup = 'Carp1Master'; Check = { param($Output, $Run) & $Run 'Get-CarpInterface' | Should -BeNullOrEmpty } }
        'Remove-CarpInterface 2'    = @{ Setup = 'Carp1Master'; Check = { param($Output, $Run) & $Run 'Get-CarpInterface' | Should -BeNullOrEmpty } }
        'Remove-CarpInterface 3'    = @{ Check = { param($Output, $Run) (& $Run 'Get-CarpInterface').Name | Should -Be 'carp1' } }
        'Resume-CarpInterface 1'    = @{ Setup = 'Carp1Suspended'; Check = { param($Output, $Run) (& $Run 'Get-CarpStatus -Name carp1').Maintenance | Should -BeFalse } }
        'Resume-CarpInterface 2'    = @{ Setup = 'Carp1Suspended'; Check = { param($Output) $Output | Should -HaveCount 1; $Output[0].Maintenance | Should -BeFalse } }
        'Resume-CarpInterface 3'    = @{ Setup = 'Carp1Master'; Check = { param($Output, $Run) (& $Run 'Get-CarpStatus -Name carp1').Maintenance | Should -BeFalse } }
        'Reset-CarpStatistics 1'    = @{ Check = { param($Output) $Output | Should -HaveCount 1; $Output[0].PSObject.Properties.Name | Should -Contain 'BadAuth' } }
        'Set-CarpInterface 1'       = @{ Setup = 'Carp1Master'; Check = { param($Output, $Run) (& $Run 'Get-CarpInterface -Name carp1').AdvSkew | Should -Be 100 } }
        # A lone carp1 becomes master again after its master-down time (3 s): the check runs well before.
        'Set-CarpInterface 2'       = @{ Setup = 'Carp1Master'; Check = {
                param($Output, $Run)
                $status = & $Run 'Get-CarpStatus -Name carp1'
                $status.State | Should -Be 'Backup'
                $status.LastTransitionReason | Should -Be 'Forced'
            } }
        'Set-CarpInterface 3'       = @{ Check = { param($Output) $Output | Should -HaveCount 1; $Output[0].HasPass | Should -BeTrue; $Output[0].Address | Should -HaveCount 2 } }
        'Set-CarpInterface 4'       = @{ Setup = 'Carp1'; Check = { param($Output, $Run) (& $Run 'Get-CarpInterface -Name carp1').Vhid | Should -Be 1 } }
        'Set-CarpInterface 5'       = @{ Setup = 'Carp1'; Check = { param($Output, $Run)
                $Output | Should -HaveCount 2; $Output[0].Peer -join ', ' | Should -Be '192.0.2.12, fe80::2'
                & $Run '(Get-CarpInterface -Name carp1).Peer -join '',''' | Should -Be '192.0.2.12' } }
        # VRRP: the interval and priority change in place.
        'Set-CarpInterface 6'       = @{ Check = {
                param($Output, $Run)
                $info = & $Run 'Get-CarpInterface -Name vrrp1'
                $info.Protocol | Should -Be 'Vrrp'
                $info.Priority | Should -Be 150
                $info.Interval | Should -Be ([timespan]::FromMilliseconds(100))
            } }
        'Suspend-CarpInterface 1'   = @{ Setup = 'Carp1Master'; Check = {
                param($Output, $Run)
                $status = & $Run 'Get-CarpStatus -Name carp1'
                $status.Maintenance | Should -BeTrue
                $status.State | Should -Be 'Backup'
                $status.LastTransitionReason | Should -Be 'Suspended'
            } }
        'Suspend-CarpInterface 2'   = @{ Setup = 'Carp1'; Check = { param($Output) $Output | Should -HaveCount 1; $Output[0].Maintenance | Should -BeTrue } }
        'Suspend-CarpInterface 3'   = @{ Check = { param($Output, $Run) (& $Run 'Get-CarpStatus -Name carp1').Maintenance | Should -BeFalse } }
        'Set-CarpSysctl 1'          = @{ Check = { param($Output, $Run) (& $Run 'Get-CarpSysctl -Name preempt').Value | Should -Be 1 } }
        'Set-CarpSysctl 2'          = @{ Check = { param($Output, $Run) (& $Run 'Get-CarpSysctl -Name preempt').Value | Should -Be 1 } }
        'Set-CarpSysctl 3'          = @{ Check = { param($Output, $Run) (& $Run 'Get-CarpSysctl -Name demotion').Value | Should -Be 0 } }
        'Set-CarpSysctl 4'          = @{ Check = {
                param($Output)
                ($Output | Where-Object Name -EQ 'log').Value | Should -Be 2
                ($Output | Where-Object Name -EQ 'dscp').Value | Should -Be 46
            } }
        'Unregister-CarpAction 1'   = @{ Check = { param($Output, $Run) & $Run 'Get-CarpAction' | Should -BeNullOrEmpty } }
        'Unregister-CarpAction 2'   = @{ Setup = 'Action'; Check = { param($Output, $Run) & $Run 'Get-CarpAction' | Should -BeNullOrEmpty } }
        'Wait-CarpState 1'          = @{ Setup = 'Carp1'; Check = { param($Output) $Output | Should -HaveCount 1; $Output[0].State | Should -Be 'Master' } }
        'Wait-CarpState 2'          = @{ Check = { param($Output) $Output | Should -HaveCount 1; $Output[0] | Should -BeLike 'carp1 is master since *' } }
        'Wait-CarpState 3'          = @{ Setup = 'Carp1BehindPeer'; Check = { param($Output) $Output | Should -HaveCount 1; $Output[0].State | Should -Be 'Backup' } }

        # QUICK START WITHOUT ROOT: firewall 2 is master at the end.
        'about_CarpPS 1'            = @{ Check = { param($Output) $Output[-1].State | Should -Be 'Master'; $Output[-1].Name | Should -Be 'carp1' } }
        # THE TWO-FIREWALL EXAMPLE OF CARP(4), firewall 1 and firewall 2
        'about_CarpPS 2'            = @{ Network = 'firewall 1 of the carp(4) example, LAN on em0'; Check = { param($Output, $Run) (& $Run 'Get-CarpInterface -Name carp1').AdvSkew | Should -Be 0 } }
        'about_CarpPS 3'            = @{ Network = 'firewall 2 of the carp(4) example, LAN on em0'; Check = { param($Output, $Run) (& $Run 'Get-CarpInterface -Name carp1').AdvSkew | Should -Be 128 } }
        # THE PASS
        'about_CarpPS 4'            = @{ Check = { param($Output, $Run) (& $Run 'Get-CarpInterface -Name carp1').HasPass | Should -BeTrue } }
        # CHANGES, WHATIF AND FAILOVERS
        'about_CarpPS 5'            = @{ Setup = 'Carp1Master'; Check = { param($Output, $Run) (& $Run 'Get-CarpInterface -Name carp1').AdvSkew | Should -Be 100 } }
        # SUBSCRIBING: the event queue
        'about_CarpPS_Events 1'     = @{ Setup = 'Carp1'; Check = { param($Output) $Output | Should -HaveCount 1; $Output[0].SourceEventArgs.Interface | Should -Be 'carp1' } }
        # A notify hook that runs `ip route` on the host: no interface changes state in this test, so it never runs.
        'about_CarpPS_Events 3'     = @{ Network = 'moves a real route when carp1 becomes master' }
        'about_CarpPS_Events 4'     = @{ Setup = 'Action'; Check = { param($Output, $Run) & $Run 'Get-CarpAction' | Should -BeNullOrEmpty } }
        # WAITING FOR A STATE
        'about_CarpPS_Events 5'     = @{ Check = { param($Output) $Output[-1].State | Should -Be 'Master' } }
        # EXAMPLE: LOG EVERY FAILOVER
        'about_CarpPS_Events 6'     = @{ Replace = $ToTemp; Check = {
                param($Output, $Run, $Temp)
                & $Run 'New-CarpInterface -Name carp1 -Vhid 1 -CarpDev em0 -Address 192.0.2.100/24'
                Wait-LogLine -Path (Join-Path $Temp 'carp.log') -Pattern 'carp1 Init -> Backup' -Run $Run | Should -BeTrue
            } }
    }

    # Runs $Script in $Runspace; any error, terminating or not, fails the test with the script's text.
    function Invoke-InRunspace {
        param([System.Management.Automation.Runspaces.Runspace] $Runspace, [string] $Script, [string] $What)
        $ps = [powershell]::Create()
        try {
            $ps.Runspace = $Runspace
            $null = $ps.AddScript($Script)
            $failure = $null
            try {
                $output = $ps.Invoke()
            } catch {
                $failure = $_.Exception.InnerException ?? $_.Exception
            }
            $failure | Should -BeNullOrEmpty -Because "$What must not stop with an error:`n$Script`n"
            @($ps.Streams.Error | ForEach-Object ToString) | Should -BeNullOrEmpty -Because "$What must write no error:`n$Script`n"
            , @($output | ForEach-Object { $_.psobject.BaseObject })
        } finally {
            $ps.Dispose()
        }
    }

    # Waits until the file holds a line like $Pattern, running an empty command in the runspace ($Run) meanwhile; $false after 15 s.
    function Wait-LogLine {
        param([string] $Path, [string] $Pattern, [scriptblock] $Run)
        $deadline = [DateTime]::UtcNow.AddSeconds(15)
        do {
            if ($Run) { $null = & $Run '$null' }
            if ((Test-Path -LiteralPath $Path) -and (Get-Content -LiteralPath $Path) -match $Pattern) {
                return $true
            }
            $null = [System.Threading.Thread]::Yield()
        } while ([DateTime]::UtcNow -lt $deadline)
        $false
    }
}

Describe 'The help examples' -Tag 'Simulation' {
    It '<Source> has examples (<Count>)' -ForEach $Counts {
        $Count | Should -BeGreaterThan 0 -Because "$Source needs at least one example"
    }

    It 'has found <Count> examples, and an entry only for examples that exist' -TestCases @{ Keys = $Keys; Count = $Keys.Count } {
        $Count | Should -BeGreaterThan 0
        @($Entries.Keys | Where-Object { $_ -notin $Keys }) | Should -BeNullOrEmpty
        @($Entries.Values | ForEach-Object { $_.Setup } | Where-Object { $_ -and -not $Setups.ContainsKey($_) }) | Should -BeNullOrEmpty
    }

    It '<Key> (<Title>) runs as written' -ForEach $Examples {
        $entry = $Entries[$Key] ?? @{}
        $temp = (New-Item -ItemType Directory -Path (Join-Path ([System.IO.Path]::GetTempPath()) ('carpps-example-' + [guid]::NewGuid().ToString('n')))).FullName
        $code = $Code
        foreach ($pair in @($entry.Replace | Where-Object { $_ })) {
            $replaced = $code -replace $pair[0], $pair[1].Replace('{temp}', $temp)
            $replaced | Should -Not -Be $code -Because "the Replace '$($pair[0])' of $Key must match its text"
            $code = $replaced
        }
        $code | Should -Not -Match '/var/log' -Because 'an example that writes a log must write it into its temp directory here'

        $iss = [initialsessionstate]::CreateDefault2()
        $iss.ImportPSModule($Manifest)
        $runspace = [runspacefactory]::CreateRunspace($iss)
        $runspace.Open()
        try {
            $run = { param([string] $Script) Invoke-InRunspace -Runspace $runspace -Script $Script -What "the check of $Key" }
            $null = Invoke-InRunspace -Runspace $runspace -Script ("Set-Location -LiteralPath '$temp'`n" + $Prelude) -What 'the prelude'
            if ($entry.Setup) {
                $null = Invoke-InRunspace -Runspace $runspace -Script $Setups[$entry.Setup] -What "the setup $($entry.Setup)"
            }
            $null = Invoke-InRunspace -Runspace $runspace -Script '$Error.Clear()' -What 'clearing $Error'

            $output = Invoke-InRunspace -Runspace $runspace -Script $code -What $Key

            @(Invoke-InRunspace -Runspace $runspace -Script '$Error | ForEach-Object ToString' -What 'reading $Error') |
                Should -BeNullOrEmpty -Because "$Key must add nothing to `$Error"
            @(Invoke-InRunspace -Runspace $runspace -Script 'Get-CarpAction | Where-Object Errors -GT 0 | ForEach-Object LastError' -What 'reading the actions') |
                Should -BeNullOrEmpty -Because "the actions of $Key must not fail"
            if ($entry.Check) {
                & $entry.Check $output $run $temp
            }
        } finally {
            # Closing the runspace closes its connections (their simulated engines) and ends its actions and subscriptions.
            $runspace.Dispose()
            Remove-Item -LiteralPath $temp -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
}
