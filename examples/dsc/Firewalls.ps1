<#
.SYNOPSIS
    The seed's two firewalls with CarpPS's DSC resource classes: carp1 (LAN) and carp2 (WAN), preempt 1.
.DESCRIPTION
    Brings carpd to the desired state and returns the resources it applied. fw1 runs it as it is; fw2 with
    -AdvSkew 128. -Ensure Absent removes the two interfaces again. carpd keeps what is applied in its
    configuration file, so it survives a reboot. Running it again changes nothing.
.EXAMPLE
    ./Firewalls.ps1 -LanPass (Read-Host -AsSecureString lan) -WanPass (Read-Host -AsSecureString wan)
.EXAMPLE
    ./Firewalls.ps1 -LanPass $lan -WanPass $wan -AdvSkew 128     # fw2
#>
using module CarpPS

[CmdletBinding()]
param(
    [Parameter(Mandatory)] [securestring] $LanPass,
    [Parameter(Mandatory)] [securestring] $WanPass,
    [int] $AdvSkew = 0,
    [string] $SocketPath = '/run/carpd/carpd.sock',
    [ValidateSet('Present', 'Absent')] [string] $Ensure = 'Present'
)

$ErrorActionPreference = 'Stop'
$resources = @(
    [CarpInterface]@{
        Name = 'carp1'; Vhid = 1; CarpDev = 'em0'; Address = '192.0.2.100/24'; AdvSkew = $AdvSkew
        Pass = [pscredential]::new('carp1', $LanPass); SocketPath = $SocketPath; Ensure = $Ensure
    }
    [CarpInterface]@{
        Name = 'carp2'; Vhid = 2; CarpDev = 'em1'; Address = '198.51.100.100/24'; AdvSkew = $AdvSkew
        Pass = [pscredential]::new('carp2', $WanPass); SocketPath = $SocketPath; Ensure = $Ensure
    }
    [CarpSysctl]@{ Preempt = $true; SocketPath = $SocketPath }
)
foreach ($resource in $resources) {
    if (-not $resource.Test()) {
        Write-Verbose "Applying $($resource.GetType().Name) $($resource.Name)"
        $resource.Set()
    }
}
$resources
