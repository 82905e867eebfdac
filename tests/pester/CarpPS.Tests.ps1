#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
    Pester tests of the CarpPS module, run by ./build.sh test with the pwsh 7.6.9 and Pester 6.2.0
    that eng/install-deps.sh installs into .tools/ (eng/run-pester.ps1). By hand:

        ./build.ps1 -Task Layout
        Invoke-Pester ./tests/pester -ExcludeTagFilter BuildScript -Output Detailed

    (The tests tagged BuildScript run build.ps1's tasks and install the nupkg; build.sh runs them as PesterBuild.)

    They import the laid-out module (out/CarpPS/<version>/, or $env:CARPPS_MODULE_DIR) and use
    Connect-CarpService -Simulation: no root, nothing sent on any network. The scenarios that move
    real addresses in network namespaces are in CarpPS.Network.Tests.ps1.
#>

BeforeDiscovery {
    $script:Cmdlets = @(
        'New-CarpInterface', 'Set-CarpInterface', 'Get-CarpInterface', 'Remove-CarpInterface', 'Get-CarpStatus',
        'Get-CarpSysctl', 'Set-CarpSysctl', 'Get-CarpStatistics', 'Reset-CarpStatistics', 'Register-CarpEvent',
        'Wait-CarpState', 'Connect-CarpService', 'Disconnect-CarpService', 'Register-CarpAction', 'Get-CarpAction',
        'Unregister-CarpAction'
    )
    $script:BadInput = @(
        @{ Parameter = 'Vhid'; Value = 0; ErrorId = 'InvalidVhid' }
        @{ Parameter = 'Vhid'; Value = 256; ErrorId = 'InvalidVhid' }
        @{ Parameter = 'AdvSkew'; Value = 255; ErrorId = 'InvalidAdvSkew' }
        @{ Parameter = 'AdvBase'; Value = 0; ErrorId = 'InvalidAdvBase' }
        @{ Parameter = 'Address'; Value = '192.0.2.1/33'; ErrorId = 'InvalidAddress' }
        @{ Parameter = 'Address'; Value = 'banana'; ErrorId = 'InvalidAddress' }
        @{ Parameter = 'CarpDev'; Value = 'nosuchdev0'; ErrorId = 'UnknownCarpDev' }
        @{ Parameter = 'Name'; Value = 'bad name!'; ErrorId = 'InvalidInterfaceName' }
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'CarpTestKit.psm1') -Force
    $moduleDir = Get-CarpTestModuleDirectory
    $Manifest = Join-Path $moduleDir 'CarpPS.psd1'
    Import-Module $Manifest -Force -ErrorAction Stop

    # Simulated segments are shared by carpdev name across the process: every test gets its own.
    function New-TestCarpDev { 'pt{0}' -f (Get-Random -Minimum 1000 -Maximum 99999999) }
    $Pass = 'Zq9-sekrit-77'
}

AfterAll {
    Remove-Module CarpPS -ErrorAction SilentlyContinue
}

Describe 'The CarpPS module' -Tag 'Unit' {
    It 'has a valid manifest whose version is CarpVersion' {
        $info = Test-ModuleManifest -Path $Manifest -ErrorAction Stop
        $props = [xml](Get-Content (Join-Path $PSScriptRoot '../../Directory.Build.props') -Raw)
        $info.Version | Should -Be ([version]$props.SelectSingleNode('//CarpVersion').InnerText)
        $info.CompatiblePSEditions | Should -Be @('Core')
        $info.PrivateData.PSData.Tags | Should -Contain 'CARP'
        $info.ExportedFunctions.Count | Should -Be 0
    }

    It 'exports <_>' -ForEach $Cmdlets {
        Get-Command -Name $_ -Module CarpPS -CommandType Cmdlet | Should -Not -BeNullOrEmpty
    }

    It 'has full help for <_>' -ForEach $Cmdlets {
        $help = Get-Help -Name $_ -Full
        $help.Synopsis | Should -Not -BeLike "$_*"
        ($help.description.Text -join '') | Should -Not -BeNullOrEmpty
        @($help.examples.example).Count | Should -BeGreaterThan 0
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters
        foreach ($name in (Get-Command $_).Parameters.Keys | Where-Object { $_ -notin $common }) {
            $parameter = $help.parameters.parameter | Where-Object name -EQ $name
            ($parameter.description.Text -join '') | Should -Not -BeNullOrEmpty -Because "-$name needs a description"
        }
    }

    It 'finds about_CarpPS and about_CarpPS_Events' {
        Get-Help about_CarpPS | Should -Match 'Connect-CarpService -Simulation'
        Get-Help about_CarpPS_Events | Should -Match 'Register-CarpEvent'
    }
}

Describe 'Carp interfaces on a simulated LAN' -Tag 'Simulation' {
    BeforeEach {
        $dev = New-TestCarpDev
        Connect-CarpService -Simulation -CarpDev $dev
    }

    AfterEach {
        Disconnect-CarpService
    }

    It 'creates an interface that Get-CarpInterface and Get-CarpStatus show' {
        New-CarpInterface -Name carp1 -Vhid 7 -CarpDev $dev -Address 192.0.2.100/24, 2001:db8::100/64 -AdvSkew 20
        $info = Get-CarpInterface -Name carp1
        $info | Should -BeOfType CarpPS.CarpInterfaceInfo
        $info.Vhid | Should -Be 7
        $info.Address | Should -Be @('192.0.2.100/24', '2001:db8::100/64')
        (Get-CarpStatus -Name carp1).State | Should -BeIn @('Init', 'Backup', 'Master')
    }

    It 'refuses <Parameter> = <Value> with <ErrorId> and changes nothing' -ForEach $BadInput {
        $arguments = @{ Name = 'carp1'; Vhid = 1; CarpDev = $dev; Address = '192.0.2.1/24' }
        $arguments[$Parameter] = $Value
        { New-CarpInterface @arguments -ErrorAction Stop } |
            Should -Throw -ErrorId "$ErrorId,CarpPS.Commands.NewCarpInterfaceCommand"
        Get-CarpInterface | Should -BeNullOrEmpty
    }

    It 'refuses a duplicate vhid on the same carpdev' {
        New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $dev -Address 192.0.2.1/24
        { New-CarpInterface -Name carp2 -Vhid 1 -CarpDev $dev -Address 192.0.2.2/24 -ErrorAction Stop } |
            Should -Throw -ErrorId 'DuplicateVhid,CarpPS.Commands.NewCarpInterfaceCommand'
        (Get-CarpInterface).Name | Should -Be 'carp1'
    }

    It 'tells what to do in ErrorDetails.RecommendedAction' {
        New-CarpInterface -Name carp1 -Vhid 0 -CarpDev $dev -Address 192.0.2.1/24 -ErrorVariable failure -ErrorAction SilentlyContinue
        $failure[0].ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
        $failure[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'changes nothing with -WhatIf' {
        New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $dev -Address 192.0.2.1/24 -AdvBase 10
        New-CarpInterface -Name carp2 -Vhid 2 -CarpDev $dev -Address 192.0.2.2/24 -WhatIf
        Set-CarpInterface -Name carp1 -AdvSkew 50 -WhatIf
        Remove-CarpInterface -Name carp1 -WhatIf
        Set-CarpSysctl -Preempt $true -WhatIf
        $actions = @(Get-CarpAction).Count
        Register-CarpAction -ScriptBlock { 'never' } -WhatIf | Should -BeNullOrEmpty
        (Get-CarpInterface).Name | Should -Be 'carp1'
        Get-CarpInterface -Name carp2 -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Get-CarpInterface -Name carp1 | Should -Not -BeNullOrEmpty
        (Get-CarpInterface -Name carp1).AdvSkew | Should -Be 0
        (Get-CarpSysctl -Name preempt).Value | Should -Be 0
        @(Get-CarpAction).Count | Should -Be $actions
    }

    It 'binds Name from Get-CarpInterface to Set-CarpInterface' {
        New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $dev -Address 192.0.2.1/24 -AdvBase 10
        New-CarpInterface -Name carp2 -Vhid 2 -CarpDev $dev -Address 192.0.2.2/24 -AdvBase 10
        Get-CarpInterface | Set-CarpInterface -AdvSkew 100 -Force
        (Get-CarpInterface).AdvSkew | Should -Be @(100, 100)
        (Get-CarpInterface).Vhid | Should -Be @(1, 2)
    }

    It 'removes piped interfaces' {
        New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $dev -Address 192.0.2.1/24 -AdvBase 10
        Get-CarpInterface | Remove-CarpInterface -Force
        Get-CarpInterface | Should -BeNullOrEmpty
    }

    It 'waits until an interface is master' {
        New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $dev -Address 192.0.2.1/24
        $status = Wait-CarpState -Name carp1 -State Master -Timeout 10
        $status.State | Should -Be 'Master'
        $status.LastTransitionReason | Should -Be 'MasterDown'
    }

    It 'times out with WaitTimeout' {
        New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $dev -Address 192.0.2.1/24 -AdvBase 10
        { Wait-CarpState -Name carp1 -State Master -Timeout 1 -ErrorAction Stop } |
            Should -Throw -ErrorId 'WaitTimeout,CarpPS.Commands.WaitCarpStateCommand'
    }

    It 'renders the status table with the ifconfig columns' {
        New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $dev -Address 192.0.2.1/24
        $text = Get-CarpStatus | Out-String
        $text | Should -Match 'Name\s+Vhid\s+CarpDev\s+State\s+Address\s+AdvSkew\s+Master'
        $text | Should -Match 'carp1'
    }

    It 'sets sysctls by name and by parameter, and refuses suppress_preempt' {
        Set-CarpSysctl -Name preempt -Value 1
        (Get-CarpSysctl -Name preempt).Value | Should -Be 1
        Set-CarpSysctl -Preempt $false -Log 2
        (Get-CarpSysctl -Name preempt).Value | Should -Be 0
        (Get-CarpSysctl -Name log).Value | Should -Be 2
        { Set-CarpSysctl -Name suppress_preempt -Value 1 -ErrorAction Stop } |
            Should -Throw -ErrorId 'ReadOnlySysctl,CarpPS.Commands.SetCarpSysctlCommand'
    }

    It 'counts advertisements and resets the counters' {
        New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $dev -Address 192.0.2.1/24
        Wait-CarpState -Name carp1 -State Master -Timeout 10 | Out-Null
        (Get-CarpStatistics).OPackets | Should -BeGreaterThan 0
        Set-CarpInterface -Name carp1 -State Backup -Force
        Reset-CarpStatistics
        (Get-CarpStatistics).OPackets | Should -BeLessOrEqual 1
    }
}

Describe 'Two simulated firewalls' -Tag 'Simulation' {
    BeforeAll {
        $dev = New-TestCarpDev
        $fw1 = Connect-CarpService -Simulation -CarpDev $dev -PassThru
        $fw2 = Connect-CarpService -Simulation -CarpDev $dev -PassThru
    }

    AfterAll {
        $fw1, $fw2 | Disconnect-CarpService
    }

    It 'elects firewall 1 and fails over to firewall 2 when it leaves' {
        Set-CarpSysctl -Session $fw1 -Preempt $true
        Set-CarpSysctl -Session $fw2 -Preempt $true
        New-CarpInterface -Session $fw1 -Name carp1 -Vhid 1 -CarpDev $dev -Pass lanpasswd -Address 192.0.2.100/24
        New-CarpInterface -Session $fw2 -Name carp1 -Vhid 1 -CarpDev $dev -Pass lanpasswd -Address 192.0.2.100/24 -AdvSkew 128
        (Wait-CarpState -Session $fw1 -Name carp1 -State Master -Timeout 10).State | Should -Be 'Master'
        $deadline = [DateTime]::UtcNow.AddSeconds(10)
        while (-not (Get-CarpStatus -Session $fw2 -Name carp1).MasterSeen -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
        (Get-CarpStatus -Session $fw2 -Name carp1).State | Should -Be 'Backup'
        (Get-CarpStatistics -Session $fw2).BadAuth | Should -Be 0

        Remove-CarpInterface -Session $fw1 -Name carp1 -Force
        # The bow-out makes firewall 2 take over at once, well before the 3 s master-down interval.
        (Wait-CarpState -Session $fw2 -Name carp1 -State Master -Timeout 2).LastTransitionReason | Should -BeIn @('Preempt', 'MasterWillTimeOut')
    }
}

Describe 'Events' -Tag 'Simulation', 'Events' {
    BeforeEach {
        $dev = New-TestCarpDev
        Connect-CarpService -Simulation -CarpDev $dev
    }

    AfterEach {
        Get-EventSubscriber | Where-Object SourceIdentifier -Like 'CarpTest*' | Unregister-Event
        Get-Event | Where-Object SourceIdentifier -Like 'CarpTest*' | Remove-Event
        Disconnect-CarpService
    }

    It 'queues state changes for Wait-Event' {
        Register-CarpEvent -Name carp1 -EventType StateChanged -SourceIdentifier CarpTestQueue
        New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $dev -Address 192.0.2.1/24
        $deadline = [DateTime]::UtcNow.AddSeconds(10)
        do {
            $received = Wait-Event -SourceIdentifier CarpTestQueue -Timeout 1
            if ($received) { Remove-Event -EventIdentifier $received.EventIdentifier }
        } until (($received -and $received.SourceEventArgs.Event.NewState -eq 'Master') -or [DateTime]::UtcNow -gt $deadline)
        $received.SourceEventArgs.Interface | Should -Be 'carp1'
        $received.SourceEventArgs.Event.NewState | Should -Be 'Master'
    }

    It 'runs an -Action on the pipeline thread' {
        $global:CarpTestStates = [System.Collections.Generic.List[string]]::new()
        Register-CarpEvent -EventType StateChanged -SourceIdentifier CarpTestAction -MessageData 'fw' -Action {
            $global:CarpTestStates.Add("$($Event.MessageData) $($Event.SourceEventArgs.Event.NewState)")
        } | Should -BeOfType System.Management.Automation.PSEventJob
        New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $dev -Address 192.0.2.1/24
        Wait-CarpState -Name carp1 -State Master -Timeout 10 | Out-Null
        $deadline = [DateTime]::UtcNow.AddSeconds(5)
        while ('fw Master' -notin $global:CarpTestStates -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
        $global:CarpTestStates | Should -Contain 'fw Master'
    }

    It 'ends the engine subscription when unregistered' {
        Register-CarpEvent -SourceIdentifier CarpTestEnd
        $source = (Get-EventSubscriber -SourceIdentifier CarpTestEnd).SourceObject
        $source.IsActive | Should -BeTrue
        Unregister-Event -SourceIdentifier CarpTestEnd
        $source.IsActive | Should -BeFalse
    }
}

Describe 'Actions' -Tag 'Simulation', 'Events' {
    BeforeEach {
        $dev = New-TestCarpDev
        Connect-CarpService -Simulation -CarpDev $dev
        $log = Join-Path $TestDrive ('actions-{0}.log' -f $dev)
    }

    AfterEach {
        Get-CarpAction | Unregister-CarpAction
        Disconnect-CarpService
    }

    It 'runs a Register-CarpAction script block while the session is busy' {
        $action = Register-CarpAction -Name carp1 -EventType StateChanged -ScriptBlock ([scriptblock]::Create(
            "[System.IO.File]::AppendAllText('$log', `"`$(`$CarpEvent.Interface) `$(`$CarpEvent.NewState)`n`")"))
        $action | Should -BeOfType CarpPS.CarpActionRegistration
        New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $dev -Address 192.0.2.1/24
        # This loop keeps the pipeline busy: an -Action of Register-CarpEvent could not run now, a CARP action does.
        $deadline = [DateTime]::UtcNow.AddSeconds(15)
        while (-not ((Test-Path $log) -and (Get-Content $log) -contains 'carp1 Master') -and [DateTime]::UtcNow -lt $deadline) {
            [System.Threading.Thread]::Sleep(50)
        }
        Get-Content $log | Should -Contain 'carp1 Master'
        (Get-CarpAction -Id $action.Id).Invocations | Should -BeGreaterThan 0
    }

    It 'keeps the last error of a failing action' {
        $action = Register-CarpAction -ScriptBlock { throw "boom $($CarpEvent.EventType)" }
        New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $dev -Address 192.0.2.1/24 -AdvBase 10
        $deadline = [DateTime]::UtcNow.AddSeconds(10)
        while ($action.Errors -eq 0 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
        $action.LastError | Should -BeLike 'boom *'
        $action.IsActive | Should -BeTrue
    }

    It 'registers nothing with -WhatIf and unregisters by pipeline' {
        Register-CarpAction -ScriptBlock { } -WhatIf | Should -BeNullOrEmpty
        Get-CarpAction | Should -BeNullOrEmpty
        $action = Register-CarpAction -ScriptBlock { }
        $action | Unregister-CarpAction
        $action.IsActive | Should -BeFalse
        { Get-CarpAction -Id $action.Id -ErrorAction Stop } | Should -Throw -ErrorId 'CarpActionNotFound*'
    }
}

Describe 'The pass' -Tag 'Simulation', 'Security' {
    BeforeAll {
        $dev = New-TestCarpDev
        Connect-CarpService -Simulation -CarpDev $dev
    }

    AfterAll {
        Disconnect-CarpService
    }

    It 'appears in no output, view, warning, verbose or error text' {
        $log = Join-Path $TestDrive 'streams.txt'
        & {
            New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $dev -Pass $Pass -Address 192.0.2.1/24 -PassThru -Verbose
            New-CarpInterface -Name carp2 -Vhid 1 -CarpDev $dev -Pass $Pass -Address 192.0.2.2/24 -Verbose -ErrorAction Continue
            Set-CarpInterface -Name carp1 -Pass ($Pass * 3) -Force -Verbose
            Get-CarpStatus | Format-List *
            Get-CarpInterface | Format-Table
        } *>&1 | Out-String -Width 400 | Set-Content -Path $log
        Get-Content -Path $log -Raw | Should -Not -Match 'sekrit'
        (Get-CarpInterface -Name carp1 | ConvertTo-Json -Depth 5) | Should -Not -Match 'sekrit'
    }

    It 'warns when only the first 19 bytes are used' {
        New-CarpInterface -Name carp3 -Vhid 3 -CarpDev $dev -Pass ($Pass * 2) -Address 192.0.2.3/24 -WarningVariable warnings -WarningAction SilentlyContinue
        $warnings | Should -HaveCount 1
        "$warnings" | Should -Match '19 bytes'
    }
}

Describe 'The README example' -Tag 'Simulation' {
    AfterAll {
        Get-CarpAction | Unregister-CarpAction
        Disconnect-CarpService
    }

    It 'runs as written, after its Connect-CarpService -Simulation line' {
        $readme = Get-Content -Path (Join-Path $PSScriptRoot '../../README.md') -Raw
        $block = [regex]::Matches($readme, '(?s)```powershell\r?\n(.*?)```') | ForEach-Object { $_.Groups[1].Value } |
            Where-Object { $_ -match 'Connect-CarpService -Simulation -CarpDev em0,em1' } | Select-Object -First 1
        $block | Should -Not -BeNullOrEmpty
        # The notify hook's log goes to a folder of the test's, not the host's /var/log.
        $block | Should -Match '/var/log/carp1\.log'
        $log = Join-Path $TestDrive 'carp1.log'
        $block = $block.Replace('/var/log/carp1.log', $log)
        # Import-Module CarpPS, by name as in the README, finds the module under test.
        $savedPath = $env:PSModulePath
        $env:PSModulePath = (Split-Path (Split-Path (Split-Path $Manifest))) + [IO.Path]::PathSeparator + $env:PSModulePath
        try {
            & {
                $ErrorActionPreference = 'Stop'
                . ([scriptblock]::Create($block))
            } 6>$null | Out-Null
        } finally {
            $env:PSModulePath = $savedPath
        }
        (Get-CarpStatus -Name carp1).State | Should -Be 'Master'
        (Get-CarpInterface -Name carp2).CarpDev | Should -Be 'em1'
        (Get-CarpSysctl -Name preempt).Value | Should -Be 1
        # The Register-CarpAction line ran its hook for the takeover, in the background runspace.
        $wrote = [System.Threading.SpinWait]::SpinUntil([Func[bool]] { (Test-Path -LiteralPath $log) -and (Get-Content -Raw -LiteralPath $log) -match 'Master' }, 10000)
        $wrote | Should -BeTrue
    }

    It "has a carpd configuration that carpd --check-config accepts as written" {
        $carpd = Get-CarpTestCarpdPath
        $readme = Get-Content -Path (Join-Path $PSScriptRoot '../../README.md') -Raw
        $config = [regex]::Matches($readme, '(?ms)^```[a-z]*\r?\n(.*?)^```') | ForEach-Object { $_.Groups[1].Value } |
            Where-Object { $_ -match '(?m)^net\.inet\.carp\.preempt=1' } | Select-Object -First 1
        $config | Should -Not -BeNullOrEmpty
        $file = Join-Path $TestDrive 'carpd.conf'
        Set-Content -LiteralPath $file -Value $config -NoNewline
        & chmod 0600 $file # carpd refuses a file with passes that others can read
        $summary = & $carpd --check-config $file 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($summary -join "`n")
        $summary -join "`n" | Should -Match 'carp1: vhid 1 carpdev em0'
        $summary -join "`n" | Should -Match 'carp2: vhid 2 carpdev em1'
        $summary -join "`n" | Should -Not -Match 'lanpasswd|wanpasswd'
    }
}

Describe 'A failover question in a non-interactive pwsh' -Tag 'Simulation' {
    BeforeAll {
        $dev = New-TestCarpDev
        $peer = Connect-CarpService -Simulation -CarpDev $dev -PassThru
        $local = Connect-CarpService -Simulation -CarpDev $dev -PassThru
        New-CarpInterface -Session $local -Name carp1 -Vhid 1 -CarpDev $dev -Address 192.0.2.1/24 -AdvBase 10
        New-CarpInterface -Session $peer -Name carp1 -Vhid 1 -CarpDev $dev -Address 192.0.2.1/24
        $null = Wait-CarpState -Session $peer -Name carp1 -State Master -Timeout 10
        $heard = [System.Threading.SpinWait]::SpinUntil([Func[bool]] { [bool](Get-CarpStatus -Session $local -Name carp1).MasterSeen }, 10000)
    }

    AfterAll {
        $local, $peer | Disconnect-CarpService
    }

    It 'is an error that says to use -Force, and changes nothing' {
        if (-not ([Environment]::GetCommandLineArgs() -match '^-noni')) {
            Set-ItResult -Skipped -Because 'pwsh runs interactively'
        }
        $heard | Should -BeTrue
        Set-CarpSysctl -Session $local -Preempt $true -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures | Should -HaveCount 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'FailoverConfirmationRequired,*'
        $failures[0].ErrorDetails.RecommendedAction | Should -Match '-Force'
        (Get-CarpSysctl -Session $local -Name preempt).Value | Should -Be 0
        Set-CarpSysctl -Session $local -Preempt $true -Force
        (Get-CarpSysctl -Session $local -Name preempt).Value | Should -Be 1
    }
}
