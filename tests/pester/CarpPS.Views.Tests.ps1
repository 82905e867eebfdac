#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
    The views and exports of the CarpPS output objects in a real pwsh (the xunit host has no
    Out-String, Format-List, ConvertTo-Csv or ConvertTo-Json): every view fits 80 columns, a
    deserialized object renders like the live one, and Get-CarpInterface goes through CSV and JSON
    and back into New-CarpInterface. Connect-CarpService -Simulation: no root, no packets.
#>

BeforeDiscovery {
    $script:Views = @(
        'Get-CarpStatus', 'Get-CarpInterface', 'Get-CarpStatistics', 'Get-CarpSysctl', 'Get-CarpAction',
        'Get-CarpStatus | Format-List', 'Get-CarpInterface | Format-List', 'Get-CarpStatistics | Format-List',
        'Get-CarpSysctl | Format-List', 'Get-CarpAction | Format-List'
    )
    $script:Exports = @(
        @{ Export = { Get-CarpInterface | ConvertTo-Csv }; Import = { $args[0] | ConvertFrom-Csv } }
        @{ Export = { Get-CarpInterface | ConvertTo-Json }; Import = { $args[0] | ConvertFrom-Json } }
        @{ Export = { Get-CarpInterface | ConvertTo-Json -EnumsAsStrings }; Import = { $args[0] | ConvertFrom-Json } }
        @{ Export = { Get-CarpStatus | ConvertTo-Csv }; Import = { $args[0] | ConvertFrom-Csv } }
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'CarpTestKit.psm1') -Force
    $moduleDir = Get-CarpTestModuleDirectory
    Import-Module (Join-Path $moduleDir 'CarpPS.psd1') -Force -ErrorAction Stop

    function New-ViewCarpDev { 'pv{0}' -f (Get-Random -Minimum 1000 -Maximum 9999999) }

    # What New-CarpInterface needs to re-create an interface, the pass aside.
    function Get-Configuration {
        Get-CarpInterface | Sort-Object Name | ForEach-Object {
            '{0} {1} {2} [{3}] {4} {5} {6} {7}' -f $_.Name, $_.Vhid, $_.CarpDev, ($_.Address -join ' '), $_.AdvBase, $_.AdvSkew, $_.MacMode, $_.Profile
        }
    }
}

AfterAll {
    Remove-Module CarpPS -ErrorAction SilentlyContinue
}

Describe 'CarpPS views and exports' -Tag 'Simulation' {
    BeforeEach {
        $dev = New-ViewCarpDev
        Connect-CarpService -Simulation -CarpDev $dev
        New-CarpInterface -Name carp-uplink2 -Vhid 200 -CarpDev $dev -Address 198.51.100.100/24, 2001:db8::100/64 -AdvSkew 128 -MacMode Real -Pass x
        New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $dev -Address 192.0.2.1/24 -AdvBase 2 -Profile OpenBSD
        Set-CarpInterface -Name carp1 -State Master -Force
        $null = Register-CarpAction -Name carp1 -EventType StateChanged -ScriptBlock { 'x' }
    }

    AfterEach {
        Get-CarpAction | Unregister-CarpAction
        Disconnect-CarpService
    }

    It '<_> fits 80 columns' -ForEach $Views {
        $text = Invoke-Expression $_ | Out-String -Width 80
        $lines = $text -split '\r?\n'
        $lines | Where-Object Length -GT 80 | Should -BeNullOrEmpty
        $lines | Where-Object { $_.Trim() } | Should -Not -BeNullOrEmpty
        if ($_ -notlike 'Get-CarpSysctl*') { $text | Should -Not -Match '…' }
        if ($_ -notlike '*Format-List') {
            # One whole header line, then the dashes: a header cut in two ("Pree" over "mpt") fails here.
            @($lines | Where-Object { $_.Trim() })[1] | Should -Match '^[\s-]+$'
        }
    }

    It 'keeps names, states, addresses and the master whole at 80 columns' {
        $status = Get-CarpStatus | Out-String -Width 80
        $status | Should -Match 'Name\s+Vhid\s+CarpDev\s+State\s+Address\s+AdvSkew\s+Master'
        $status | Should -Match "(?m)^carp1\s+1\s+$dev\s+Master\s+192\.0\.2\.1/24\s+0\s+\(this node\)"
        $status | Should -Match "(?m)^carp-uplink2\s+200\s+$dev\s+Backup\s+198\.51\.100\.100/24\s+128"
        $status | Should -Match '(?m)^\s+2001:db8::100/64\s*$'

        $config = Get-CarpInterface | Out-String -Width 80
        $config | Should -Match 'Name\s+Vhid\s+CarpDev\s+AdvBase\s+AdvSkew\s+Profile\s+Pass\s+Address'
        $config | Should -Not -Match 'Master|Backup'
        $config | Should -Match "(?m)^carp-uplink2\s+200\s+$dev\s+1\s+128\s+FreeBSD\s+yes\s+198\.51\.100\.100/24"

        Get-CarpStatus carp-uplink2 | Format-List | Out-String -Width 80 |
            Should -Match 'Address\s+: 198\.51\.100\.100/24, 2001:db8::100/64'
    }

    It 'shows every property of <_> in its list view' -ForEach 'Get-CarpStatus', 'Get-CarpInterface', 'Get-CarpStatistics', 'Get-CarpSysctl' {
        $item = @(Invoke-Expression $_)[0]
        $text = $item | Format-List | Out-String -Width 80
        foreach ($name in $item.psobject.Properties.Name) {
            $text | Should -Match "(?m)^(\S.*\()?$name\)?\s+:" -Because "the list view of $_ should show $name"
        }
    }

    It 'renders a deserialized <_> like the live one' -ForEach $Views {
        $get, $format = $_ -split '\|', 2
        $live = @(Invoke-Expression $get)
        $copy = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($live, 3))
        $copy[0].pstypenames[0] | Should -BeLike 'Deserialized.CarpPS.*'
        $render = if ($format) { { $args[0] | Format-List | Out-String -Width 80 } } else { { $args[0] | Out-String -Width 80 } }
        & $render $copy | Should -BeExactly (& $render $live)
    }

    It 'lists Name first for Select-Object * and ConvertTo-Json' {
        (Get-CarpStatus carp1 | Select-Object *).psobject.Properties.Name[0] | Should -Be 'Name'
        (Get-CarpInterface carp1 | ConvertTo-Json | ConvertFrom-Json).psobject.Properties.Name[0] | Should -Be 'Name'
        Get-CarpInterface carp-uplink2 | ConvertTo-Json -Compress | Should -Match '"Address":\["198\.51\.100\.100/24","2001:db8::100/64"\]'
        $csv = Get-CarpInterface | ConvertTo-Csv
        $csv | Should -Not -Match 'System\.|CarpPS\.'
        $csv -join "`n" | Should -Match '"198\.51\.100\.100/24, 2001:db8::100/64"'
    }

    It 're-creates the interfaces from <Export>' -ForEach $Exports {
        $before = Get-Configuration
        $exported = & $Export
        Get-CarpInterface | Remove-CarpInterface -Confirm:$false
        Get-CarpInterface | Should -BeNullOrEmpty
        & $Import $exported | New-CarpInterface -ErrorAction Stop
        Get-Configuration | Should -Be $before
        (Get-CarpInterface carp-uplink2).MacMode | Should -Be 'Real'
    }
}
