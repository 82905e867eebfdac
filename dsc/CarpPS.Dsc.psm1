# The class-based DSC resources of CarpPS: CarpInterface (a carp interface), CarpMaintenance (its maintenance mode)
# and CarpSysctl (net.inet.carp.*).
# The module's root module (so that `using module CarpPS` finds the classes); the cmdlets come from CarpPS.dll,
# its nested module, which is loaded first.
# Each call connects to carpd's control socket (SocketPath, default /run/carpd/carpd.sock) with the module's
# cmdlets, so what Set changes is what carpd writes to its configuration file and brings back after a reboot.
# A property left unset ($null) is not managed: Test ignores it and Set does not touch it. Set changes only
# what Test finds different, so a second Set changes nothing. A pass is never read back: Test asks carpd
# whether the interface uses it (testPass, compared in constant time) and Get returns only HasPass.
# CarpPS.Dsc.ps1 runs these classes for DSC v3 (the *.dsc.resource.json manifests).
using namespace System.Management.Automation
using namespace System.Collections.Generic

enum CarpEnsure {
    Absent
    Present
}

# What both resources share: the carpd connection, opened for one call and closed after it.
class CarpDscResource {
    # carpd's control socket.
    [DscProperty()]
    [string] $SocketPath = '/run/carpd/carpd.sock'

    hidden [object] Open() {
        return CarpPS\Connect-CarpService -Path $this.SocketPath -PassThru -Confirm:$false -ErrorAction Stop
    }

    hidden [void] Close([object] $session) {
        if ($null -ne $session) { CarpPS\Disconnect-CarpService -Session $session -Confirm:$false }
    }
}

[DscResource()]
class CarpInterface : CarpDscResource {
    [DscProperty(Key)]
    [string] $Name

    [DscProperty()]
    [CarpEnsure] $Ensure = [CarpEnsure]::Present

    [DscProperty()]
    [Nullable[int]] $Vhid

    [DscProperty()]
    [string] $CarpDev

    # Virtual addresses with their prefix, e.g. 192.0.2.100/24; compared as a set.
    [DscProperty()]
    [string[]] $Address

    [DscProperty()]
    [Nullable[int]] $AdvBase

    [DscProperty()]
    [Nullable[int]] $AdvSkew

    # The pass is the credential's password (the user name is not used); an empty password means no pass.
    [DscProperty()]
    [PSCredential] $Pass

    [DscProperty()]
    [ValidateSet('Virtual', 'Real')]
    [string] $MacMode

    [DscProperty()]
    [ValidateSet('FreeBSD', 'OpenBSD', 'Classic', 'ucarp')]
    [string] $Profile

    # Whether the interface has a pass: all that Get says of it.
    [DscProperty(NotConfigurable)]
    [Nullable[bool]] $HasPass

    [CarpInterface] Get() {
        $session = $this.Open()
        try { return $this.Read($session) } finally { $this.Close($session) }
    }

    [bool] Test() {
        $session = $this.Open()
        try { return $this.Differences($session, $this.Read($session)).Count -eq 0 } finally { $this.Close($session) }
    }

    [void] Set() {
        $null = $this.Apply()
    }

    # Set, returning the names of the properties it changed (none when the interface was as desired).
    hidden [string[]] Apply() {
        $session = $this.Open()
        try {
            $current = $this.Read($session)
            $changed = $this.Differences($session, $current)
            if ($changed.Count -eq 0) { return @() }
            if ($this.Ensure -eq [CarpEnsure]::Absent) {
                CarpPS\Remove-CarpInterface -Session $session -Name $this.Name -Force -Confirm:$false -ErrorAction Stop
            }
            elseif ($current.Ensure -eq [CarpEnsure]::Absent) {
                $missing = @('Vhid', 'CarpDev', 'Address').Where({ $null -eq $this.$_ })
                if ($missing) { throw "CarpInterface $($this.Name) does not exist: to create it, give $($missing -join ', ')." }
                $parameters = $this.Parameters(@('Vhid', 'CarpDev', 'Address', 'AdvBase', 'AdvSkew', 'Pass', 'MacMode', 'Profile'))
                CarpPS\New-CarpInterface -Session $session -Name $this.Name @parameters -Confirm:$false -ErrorAction Stop | Out-Null
            }
            else {
                $parameters = $this.Parameters($changed)
                CarpPS\Set-CarpInterface -Session $session -Name $this.Name @parameters -Force -Confirm:$false -ErrorAction Stop | Out-Null
            }
            return $changed
        }
        finally { $this.Close($session) }
    }

    # Every interface carpd runs, as Get returns it.
    static [CarpInterface[]] Export([string] $SocketPath) {
        $probe = [CarpInterface]@{ SocketPath = $SocketPath }
        $session = $probe.Open()
        try {
            return @(CarpPS\Get-CarpInterface -Session $session -ErrorAction Stop | ForEach-Object { [CarpInterface]::FromInfo($_, $SocketPath) })
        }
        finally { $probe.Close($session) }
    }

    static [CarpInterface[]] Export() {
        return [CarpInterface]::Export(([CarpInterface]::new()).SocketPath)
    }

    hidden [CarpInterface] Read([object] $session) {
        $info = CarpPS\Get-CarpInterface -Session $session -ErrorAction Stop | Where-Object Name -CEQ $this.Name
        if ($null -eq $info) {
            return [CarpInterface]@{ Name = $this.Name; SocketPath = $this.SocketPath; Ensure = [CarpEnsure]::Absent }
        }
        return [CarpInterface]::FromInfo($info, $this.SocketPath)
    }

    hidden static [CarpInterface] FromInfo([object] $info, [string] $socketPath) {
        return [CarpInterface]@{
            Name       = $info.Name
            SocketPath = $socketPath
            Ensure     = [CarpEnsure]::Present
            Vhid       = $info.Vhid
            CarpDev    = $info.CarpDev
            Address    = [string[]]@($info.Address)
            AdvBase    = $info.AdvBase
            AdvSkew    = $info.AdvSkew
            MacMode    = "$($info.MacMode)"
            Profile    = $info.Profile
            HasPass    = $info.HasPass
        }
    }

    # The managed properties that differ from $current ('Ensure' when it should be created or removed).
    hidden [List[string]] Differences([object] $session, [CarpInterface] $current) {
        $changed = [List[string]]::new()
        if ($this.Ensure -eq [CarpEnsure]::Absent -or $current.Ensure -eq [CarpEnsure]::Absent) {
            if ($this.Ensure -ne $current.Ensure) {
                $changed.Add('Ensure')
                if ($this.Ensure -eq [CarpEnsure]::Present) {
                    $changed.AddRange([string[]]@('Vhid', 'CarpDev', 'Address', 'AdvBase', 'AdvSkew', 'Pass', 'MacMode', 'Profile').Where({ $null -ne $this.$_ }))
                }
            }
            return $changed
        }
        foreach ($name in 'Vhid', 'AdvBase', 'AdvSkew') {
            if ($null -ne $this.$name -and $this.$name -ne $current.$name) { $changed.Add($name) }
        }
        if ($this.CarpDev -and $this.CarpDev -cne $current.CarpDev) { $changed.Add('CarpDev') }
        foreach ($name in 'MacMode', 'Profile') {
            if ($this.$name -and $this.$name -ne $current.$name) { $changed.Add($name) }
        }
        if ($null -ne $this.Address -and -not [CarpInterface]::SameAddresses($this.Address, $current.Address)) { $changed.Add('Address') }
        if ($null -ne $this.Pass -and -not ([type] 'CarpPS.CarpDsc')::TestPass($session, $this.Name, $this.Pass.Password)) { $changed.Add('Pass') }
        return $changed
    }

    # The cmdlet parameters for the named properties that are set.
    hidden [hashtable] Parameters([string[]] $names) {
        $parameters = @{}
        foreach ($name in $names) {
            if ($null -eq $this.$name -or $this.$name -eq '') { continue }
            $parameters[$name] = if ($name -eq 'Pass') { $this.Pass.Password } else { $this.$name }
        }
        return $parameters
    }

    # Address lists compare as sets of canonical address/prefix (2001:DB8::1/64 is 2001:db8::1/64).
    hidden static [bool] SameAddresses([string[]] $left, [string[]] $right) {
        $canonical = {
            param([string] $text)
            $address, $prefix = $text.Trim() -split '/', 2
            $parsed = $null
            if ([System.Net.IPAddress]::TryParse($address, [ref] $parsed)) { $address = $parsed.ToString() }
            "$address/$prefix"
        }
        $a = @($left | ForEach-Object { & $canonical $_ } | Sort-Object -Unique)
        $b = @($right | ForEach-Object { & $canonical $_ } | Sort-Object -Unique)
        return ($a -join ' ') -ceq ($b -join ' ')
    }
}

# Maintenance mode of an existing interface (Suspend-/Resume-CarpInterface: a MASTER hands over and the interface
# stays out of mastership). carpd saves it with the interface. The interface itself is CarpInterface's.
[DscResource()]
class CarpMaintenance : CarpDscResource {
    [DscProperty(Key)]
    [string] $Name

    [DscProperty(Mandatory)]
    [bool] $Maintenance

    # Whether the interface exists: all the other properties say nothing when it does not.
    [DscProperty(NotConfigurable)]
    [Nullable[bool]] $Exists

    [CarpMaintenance] Get() {
        $session = $this.Open()
        try { return $this.Read($session) } finally { $this.Close($session) }
    }

    [bool] Test() {
        $session = $this.Open()
        try { return $this.Differences($this.Read($session)).Count -eq 0 } finally { $this.Close($session) }
    }

    [void] Set() {
        $null = $this.Apply()
    }

    hidden [string[]] Apply() {
        $session = $this.Open()
        try {
            $current = $this.Read($session)
            if (-not $current.Exists) { throw "CarpMaintenance: there is no interface $($this.Name); create it first (CarpInterface)." }
            $changed = $this.Differences($current)
            if ($changed.Count -eq 0) { return @() }
            if ($this.Maintenance) {
                CarpPS\Suspend-CarpInterface -Session $session -Name $this.Name -Force -Confirm:$false -ErrorAction Stop | Out-Null
            }
            else {
                CarpPS\Resume-CarpInterface -Session $session -Name $this.Name -Confirm:$false -ErrorAction Stop | Out-Null
            }
            return $changed
        }
        finally { $this.Close($session) }
    }

    static [CarpMaintenance[]] Export([string] $SocketPath) {
        $probe = [CarpMaintenance]@{ SocketPath = $SocketPath }
        $session = $probe.Open()
        try {
            return @(CarpPS\Get-CarpStatus -Session $session -ErrorAction Stop | ForEach-Object {
                    [CarpMaintenance]@{ Name = $_.Name; Maintenance = $_.Maintenance; Exists = $true; SocketPath = $SocketPath }
                })
        }
        finally { $probe.Close($session) }
    }

    static [CarpMaintenance[]] Export() {
        return [CarpMaintenance]::Export(([CarpMaintenance]::new()).SocketPath)
    }

    hidden [CarpMaintenance] Read([object] $session) {
        $status = CarpPS\Get-CarpStatus -Session $session -ErrorAction Stop | Where-Object Name -CEQ $this.Name
        $state = [CarpMaintenance]@{ Name = $this.Name; SocketPath = $this.SocketPath; Exists = $null -ne $status }
        if ($null -ne $status) { $state.Maintenance = $status.Maintenance }
        return $state
    }

    hidden [List[string]] Differences([CarpMaintenance] $current) {
        $changed = [List[string]]::new()
        if (-not $current.Exists -or $this.Maintenance -ne $current.Maintenance) { $changed.Add('Maintenance') }
        return $changed
    }
}

[DscResource()]
class CarpSysctl : CarpDscResource {
    # The net.inet.carp sysctls are one set per carpd: the key is always 'Yes'.
    [DscProperty(Key)]
    [ValidateSet('Yes')]
    [string] $IsSingleInstance = 'Yes'

    [DscProperty()]
    [Nullable[bool]] $Allow

    [DscProperty()]
    [Nullable[bool]] $Preempt

    [DscProperty()]
    [Nullable[int]] $Log

    [DscProperty()]
    [Nullable[bool]] $ArpBalance

    [DscProperty()]
    [Nullable[int]] $IfDownDemotionFactor

    [DscProperty()]
    [Nullable[int]] $SendErrDemotionFactor

    [DscProperty()]
    [Nullable[int]] $Dscp

    # Property → sysctl. demotion is left out: writing it adds to it (as on FreeBSD), so it has no desired state.
    hidden static [System.Collections.Specialized.OrderedDictionary] $Sysctls = [ordered]@{
        Allow                 = 'allow'
        Preempt               = 'preempt'
        Log                   = 'log'
        ArpBalance            = 'arpbalance'
        IfDownDemotionFactor  = 'ifdown_demotion_factor'
        SendErrDemotionFactor = 'senderr_demotion_factor'
        Dscp                  = 'dscp'
    }

    [CarpSysctl] Get() {
        $session = $this.Open()
        try { return $this.Read($session) } finally { $this.Close($session) }
    }

    [bool] Test() {
        $session = $this.Open()
        try { return $this.Differences($this.Read($session)).Count -eq 0 } finally { $this.Close($session) }
    }

    [void] Set() {
        $null = $this.Apply()
    }

    # Set, returning the names of the properties it changed.
    hidden [string[]] Apply() {
        $session = $this.Open()
        try {
            $changed = $this.Differences($this.Read($session))
            foreach ($name in $changed) {
                $value = [long]$(if ($this.$name -is [bool]) { [int]$this.$name } else { $this.$name })
                CarpPS\Set-CarpSysctl -Session $session -Name ([CarpSysctl]::Sysctls[$name]) -Value $value -Force -Confirm:$false -ErrorAction Stop | Out-Null
            }
            return $changed
        }
        finally { $this.Close($session) }
    }

    static [CarpSysctl[]] Export([string] $SocketPath) {
        return @(([CarpSysctl]@{ SocketPath = $SocketPath }).Get())
    }

    static [CarpSysctl[]] Export() {
        return [CarpSysctl]::Export(([CarpSysctl]::new()).SocketPath)
    }

    hidden [CarpSysctl] Read([object] $session) {
        $values = @{}
        foreach ($sysctl in CarpPS\Get-CarpSysctl -Session $session -ErrorAction Stop) { $values[$sysctl.Name] = $sysctl.Value }
        $state = [CarpSysctl]@{ SocketPath = $this.SocketPath }
        foreach ($name in [CarpSysctl]::Sysctls.Keys) {
            $value = $values[[CarpSysctl]::Sysctls[$name]]
            $state.$name = if ($name -in 'Allow', 'Preempt', 'ArpBalance') { $value -ne 0 } else { [int]$value }
        }
        return $state
    }

    hidden [List[string]] Differences([CarpSysctl] $current) {
        $changed = [List[string]]::new()
        foreach ($name in [CarpSysctl]::Sysctls.Keys) {
            if ($null -ne $this.$name -and $this.$name -ne $current.$name) { $changed.Add($name) }
        }
        return $changed
    }
}
