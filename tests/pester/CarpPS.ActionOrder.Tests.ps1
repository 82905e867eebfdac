#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
    Register-CarpAction's ordering guarantee (about_CarpPS_Events, "Order"): the actions of an interface run in the
    order of its events, one at a time, and all the actions of one event run before those of the next. Two actions
    watch carp1 while it is forced MASTER and BACKUP 50 times as fast as the cmdlets go, in-process (-Simulation)
    and against carpd --simulate (where every action used to have a subscription, a connection and a thread of its own).
    Each run takes a lock (a directory, which cannot be created twice) and notes its event; a run that finds the lock
    taken notes OVERLAP.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'CarpTestKit.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'CarpDscKit.psm1') -Force
    $Manifest = Join-Path (Get-CarpTestModuleDirectory) 'CarpPS.psd1'
    Import-Module $Manifest -Force -ErrorAction Stop
    $Flips = 50

    function Register-OrderProbe([string] $Log, [string] $Lock, [string] $Tag) {
        Register-CarpAction -Name carp1 -EventType StateChanged -ScriptBlock ([scriptblock]::Create(@"
if (-not (New-Item -ItemType Directory -Path '$Lock' -ErrorAction SilentlyContinue)) { [System.IO.File]::AppendAllText('$Log', "OVERLAP`n") }
Start-Sleep -Milliseconds (Get-Random -Maximum 4)
[System.IO.File]::AppendAllText('$Log', "$Tag `$(`$CarpEvent.OldState) `$(`$CarpEvent.NewState)`n")
Remove-Item -LiteralPath '$Lock'
"@))
    }

    function Test-ActionOrder([string] $CarpDev) {
        $log = Join-Path $TestDrive ("order-{0}.log" -f (Get-Random))
        $lock = "$log.lock"
        $null = Register-OrderProbe -Log $log -Lock $lock -Tag A
        $null = Register-OrderProbe -Log $log -Lock $lock -Tag B
        $null = New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $CarpDev -AdvBase 10 -Address 192.0.2.1/24   # master-down 30 s: no election meanwhile
        $expected = [System.Collections.Generic.List[string]]::new()
        $expected.Add('A Init Backup'); $expected.Add('B Init Backup')
        for ($i = 0; $i -lt $Flips; $i++) {
            $to, $from = if ($i % 2 -eq 0) { 'Master', 'Backup' } else { 'Backup', 'Master' }
            Set-CarpInterface -Name carp1 -State $to -Force
            $expected.Add("A $from $to"); $expected.Add("B $from $to")
        }

        $deadline = [DateTime]::UtcNow.AddSeconds(90)
        $done = { (Test-Path $log) -and @(Get-Content $log).Count -ge $expected.Count -and -not @(Get-CarpAction | Where-Object Invocations -lt ($Flips + 1)) }
        while (-not (& $done) -and [DateTime]::UtcNow -lt $deadline) {
            Start-Sleep -Milliseconds 100
        }
        $runs = @(Get-Content $log)
        $runs | Should -Not -Contain 'OVERLAP'
        $runs.Count | Should -Be $expected.Count
        $runs | Should -Be $expected.ToArray()
        (Get-CarpAction).Invocations | Should -Be @(($Flips + 1), ($Flips + 1))
    }
}

AfterAll {
    Remove-Module CarpPS, CarpDscKit -ErrorAction SilentlyContinue
}

Describe 'Register-CarpAction runs the actions of an interface in event order, one at a time' -Tag 'Simulation', 'Events' {
    AfterEach {
        Get-CarpAction | Unregister-CarpAction
        Disconnect-CarpService
    }

    It 'in-process: 50 forced transitions run each action 51 times (with the start), A before B for every event' {
        $dev = 'po{0}' -f (Get-Random -Minimum 1000 -Maximum 99999999)
        Connect-CarpService -Simulation -CarpDev $dev
        Test-ActionOrder -CarpDev $dev
    }

    It 'against carpd: the same, with both actions fed by one subscription' {
        $daemon = Start-CarpDscCarpd -Directory $TestDrive -Name 'order'
        try {
            Connect-CarpService -Path $daemon.Socket
            Test-ActionOrder -CarpDev em0
        }
        finally {
            Get-CarpAction | Unregister-CarpAction
            Disconnect-CarpService -ErrorAction SilentlyContinue
            Stop-CarpDscCarpd $daemon
        }
    }
}
