#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
    The DSC resources of CarpPS against carpd --simulate (no root, no packets) on a temporary socket with a
    temporary configuration file, so what they apply is persisted for real: the classes (CarpInterface,
    CarpSysctl) called directly, the PowerShell example, and the DSC v3 resource manifests run the way dsc runs
    them (dsc itself is not installed here), every output validated against the manifests' embedded schemas
    with JsonSchema.Net, and the YAML configuration example applied through the manifests.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'CarpTestKit.psm1') -Force
    $moduleDir = Get-CarpTestModuleDirectory
    $Manifest = Join-Path $moduleDir 'CarpPS.psd1'
    $Module = Import-Module $Manifest -Force -PassThru -ErrorAction Stop
    Import-Module (Join-Path $PSScriptRoot 'CarpDscKit.psm1') -Force
    Import-CarpDscTestLibrary
    $Examples = Join-Path $PSScriptRoot '../../examples/dsc'
    # The classes as `using module CarpPS` sees them: defined by the root module (CarpPS.Dsc.psm1).
    $CarpInterface = & $Module { [CarpInterface] }
    $CarpSysctl = & $Module { [CarpSysctl] }
    function New-Pass([string] $Text) { [pscredential]::new('carp', (ConvertTo-SecureString $Text -AsPlainText -Force)) }
    function Read-Bytes([string] $Path) { [Convert]::ToBase64String([System.IO.File]::ReadAllBytes($Path)) }
}

AfterAll {
    Remove-Module CarpPS, CarpDscKit -ErrorAction SilentlyContinue
}

Describe 'The DSC resources of the module' -Tag 'Dsc' {
    It 'exports its DSC resources and ships the DSC v3 manifests and their script' {
        (Import-PowerShellDataFile $Manifest).DscResourcesToExport | Should -Be @('CarpInterface', 'CarpMaintenance', 'CarpSysctl')
        foreach ($file in 'CarpPS.Dsc.psm1', 'CarpPS.Dsc.ps1', 'CarpInterface.dsc.resource.json', 'CarpMaintenance.dsc.resource.json', 'CarpSysctl.dsc.resource.json') {
            Join-Path $moduleDir $file | Should -Exist
        }
        $CarpInterface.Name | Should -Be 'CarpInterface'
        $CarpInterface.GetCustomAttributes($true).TypeId.Name | Should -Contain 'DscResourceAttribute'
    }
}

Describe 'The DSC classes against carpd' -Tag 'Dsc' {
    BeforeAll {
        $fw1 = Start-CarpDscCarpd -Directory $TestDrive -Name 'classes'
        function New-Carp1([hashtable] $Extra = @{}) {
            $properties = @{ Name = 'carp1'; Vhid = 1; CarpDev = 'em0'; Address = '192.0.2.100/24'; Pass = (New-Pass 'lanpasswd'); SocketPath = $fw1.Socket }
            foreach ($key in $Extra.Keys) { $properties[$key] = $Extra[$key] }
            $resource = $CarpInterface::new()
            foreach ($key in $properties.Keys) { $resource.$key = $properties[$key] }
            $resource
        }
    }
    AfterAll { Stop-CarpDscCarpd $fw1 }

    It 'creates a missing interface once: Test is false, Set creates, Test is true, a second Set writes nothing' {
        $carp1 = New-Carp1
        $carp1.Get().Ensure | Should -Be 'Absent'
        $carp1.Test() | Should -BeFalse
        $carp1.Set()
        $carp1.Test() | Should -BeTrue
        (Get-Content -Raw $fw1.Config) | Should -Match '(?m)^carp1 vhid 1 carpdev em0 .*192\.0\.2\.100/24'
        $saved = Read-Bytes $fw1.Config
        $carp1.Set()
        $carp1.Apply() | Should -BeNullOrEmpty
        Read-Bytes $fw1.Config | Should -Be $saved
    }

    It 'gets the state without the pass, only whether there is one' {
        $state = (New-Carp1).Get()
        $state.Ensure | Should -Be 'Present'
        $state.Vhid | Should -Be 1
        $state.CarpDev | Should -Be 'em0'
        $state.Address | Should -Be @('192.0.2.100/24')
        $state.HasPass | Should -BeTrue
        $state.Pass | Should -BeNullOrEmpty
    }

    It 'tests the pass through carpd and sets only what differs' {
        $other = New-Carp1 @{ Pass = (New-Pass 'otherpasswd'); AdvSkew = 100 }
        $other.Test() | Should -BeFalse
        $other.Apply() | Should -Be @('AdvSkew', 'Pass')
        $other.Test() | Should -BeTrue
        (New-Carp1).Test() | Should -BeFalse
        (New-Carp1 @{ AdvSkew = 100 }).Apply() | Should -Be @('Pass')
        Get-Content -Raw $fw1.Config | Should -Not -Match 'otherpasswd'
    }

    It 'leaves properties it is not given alone and compares addresses as a set' {
        $partial = $CarpInterface::new()
        $partial.Name = 'carp1'; $partial.SocketPath = $fw1.Socket; $partial.Address = '192.0.2.100/24'
        $partial.Test() | Should -BeTrue
        $partial.Address = '192.0.2.100/24', '192.0.2.101/24'
        $partial.Apply() | Should -Be @('Address')
        $partial.Address = '192.0.2.101/24', '192.0.2.100/24'
        $partial.Test() | Should -BeTrue
    }

    It 'sets the sysctls it is given and persists them' {
        $sysctl = $CarpSysctl::new()
        $sysctl.SocketPath = $fw1.Socket
        $sysctl.Preempt = $true
        $sysctl.Get().Preempt | Should -BeFalse
        $sysctl.Test() | Should -BeFalse
        $sysctl.Apply() | Should -Be @('Preempt')
        $sysctl.Test() | Should -BeTrue
        $sysctl.Apply() | Should -BeNullOrEmpty
        Get-Content -Raw $fw1.Config | Should -Match '(?m)^net\.inet\.carp\.preempt=1'
    }

    It 'exports what carpd runs' {
        $CarpInterface::Export($fw1.Socket).Name | Should -Be @('carp1')
        $CarpSysctl::Export($fw1.Socket).Preempt | Should -Be @($true)
    }

    It 'keeps the state across a carpd restart (the configuration file)' {
        Stop-CarpDscCarpd $fw1
        # The same object, so that AfterAll stops the new process.
        $fw1.Process = (Start-CarpDscCarpd -Directory $TestDrive -Name 'classes').Process
        (New-Carp1 @{ AdvSkew = 100; Address = '192.0.2.100/24', '192.0.2.101/24' }).Test() | Should -BeTrue
    }

    It 'removes the interface with Ensure Absent, once' {
        $absent = New-Carp1 @{ Ensure = 'Absent' }
        $absent.Test() | Should -BeFalse
        $absent.Apply() | Should -Be @('Ensure')
        $absent.Test() | Should -BeTrue
        (Get-Content -Raw $fw1.Config) | Should -Not -Match '(?m)^carp1 '
        $absent.Apply() | Should -BeNullOrEmpty
    }

    It 'says what a creation lacks' {
        $bare = $CarpInterface::new()
        $bare.Name = 'carp9'; $bare.SocketPath = $fw1.Socket
        { $bare.Set() } | Should -Throw '*give Vhid, CarpDev, Address*'
    }
}

Describe 'The CarpMaintenance class against carpd' -Tag 'Dsc' {
    BeforeAll {
        $fw = Start-CarpDscCarpd -Directory $TestDrive -Name 'maintenance'
        $CarpMaintenance = & $Module { [CarpMaintenance] }
        function New-Maintenance([string] $Name, [bool] $On) {
            $resource = $CarpMaintenance::new()
            $resource.Name = $Name; $resource.Maintenance = $On; $resource.SocketPath = $fw.Socket
            $resource
        }
        $carp1 = $CarpInterface::new()
        $carp1.Name = 'carp1'; $carp1.Vhid = 1; $carp1.CarpDev = 'em0'; $carp1.Address = '192.0.2.100/24'; $carp1.SocketPath = $fw.Socket
        $carp1.Set()
    }
    AfterAll { Stop-CarpDscCarpd $fw }

    It 'suspends once, persists it, and resumes once' {
        $on = New-Maintenance 'carp1' $true
        $on.Get().Maintenance | Should -BeFalse
        $on.Test() | Should -BeFalse
        $on.Apply() | Should -Be @('Maintenance')
        $on.Test() | Should -BeTrue
        Get-Content -Raw $fw.Config | Should -Match '(?m)^carp1 .*\bmaintenance\b'
        $saved = Read-Bytes $fw.Config
        $on.Apply() | Should -BeNullOrEmpty
        Read-Bytes $fw.Config | Should -Be $saved
        $CarpMaintenance::Export($fw.Socket) | Where-Object Name -EQ 'carp1' | ForEach-Object Maintenance | Should -BeTrue

        $off = New-Maintenance 'carp1' $false
        $off.Test() | Should -BeFalse
        $off.Apply() | Should -Be @('Maintenance')
        $off.Test() | Should -BeTrue
        Get-Content -Raw $fw.Config | Should -Not -Match '(?m)^carp1 .*\bmaintenance\b'
    }

    It 'refuses an interface that does not exist' {
        $missing = New-Maintenance 'carp9' $true
        $missing.Get().Exists | Should -BeFalse
        $missing.Test() | Should -BeFalse
        { $missing.Set() } | Should -Throw '*no interface carp9*'
    }
}

Describe 'The PowerShell example converges two firewalls' -Tag 'Dsc' {
    BeforeAll {
        $fw1 = Start-CarpDscCarpd -Directory $TestDrive -Name 'fw1'
        $fw2 = Start-CarpDscCarpd -Directory $TestDrive -Name 'fw2'
        # The example says `using module CarpPS`: a pwsh that finds the laid-out module on PSModulePath runs it.
        function Invoke-Example($Carpd, [string[]] $Arguments) {
            $env:PSModulePath = "$(Split-Path (Split-Path $moduleDir))$([System.IO.Path]::PathSeparator)$env:PSModulePath"
            $command = "`$lan = ConvertTo-SecureString lanpasswd -AsPlainText -Force; `$wan = ConvertTo-SecureString wanpasswd -AsPlainText -Force; " +
            "& '$Examples/Firewalls.ps1' -LanPass `$lan -WanPass `$wan -SocketPath '$($Carpd.Socket)' $($Arguments -join ' ') | ForEach-Object { `$_.Test() }"
            $output = & (Join-Path $PSHOME 'pwsh') -NoLogo -NoProfile -NonInteractive -Command $command 2>&1
            $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
            $output
        }
    }
    AfterAll { Stop-CarpDscCarpd $fw1; Stop-CarpDscCarpd $fw2 }

    It 'configures fw1 and fw2 (advskew 128), and a second run changes neither file' {
        Invoke-Example $fw1 @() | Should -Be @($true, $true, $true)
        Invoke-Example $fw2 @('-AdvSkew', '128') | Should -Be @($true, $true, $true)
        Get-Content -Raw $fw1.Config | Should -Match '(?m)^carp2 vhid 2 carpdev em1 .*198\.51\.100\.100/24'
        Get-Content -Raw $fw2.Config | Should -Match '(?m)^carp1 vhid 1 carpdev em0 .*advskew 128'
        foreach ($config in $fw1.Config, $fw2.Config) { Get-Content -Raw $config | Should -Match '(?m)^net\.inet\.carp\.preempt=1' }
        $saved = (Read-Bytes $fw1.Config), (Read-Bytes $fw2.Config)
        Invoke-Example $fw1 @() | Out-Null
        Invoke-Example $fw2 @('-AdvSkew', '128') | Out-Null
        (Read-Bytes $fw1.Config), (Read-Bytes $fw2.Config) | Should -Be $saved
    }

    It 'removes the interfaces with -Ensure Absent' {
        Invoke-Example $fw2 @('-AdvSkew', '128', '-Ensure', 'Absent') | Should -Be @($true, $true, $true)
        Get-Content -Raw $fw2.Config | Should -Not -Match '(?m)^carp[12] '
    }
}
