# Module manifest for CarpPS. ModuleVersion must equal CarpVersion in Directory.Build.props:
# eng/layout.sh, build.ps1 and the tests check that they agree.
@{
    # The root module is the script module of the class-based DSC resources (CarpInterface, CarpSysctl), so that
    # `using module CarpPS` finds the classes (it does not look into nested modules); the cmdlets are CarpPS.dll, nested.
    RootModule           = 'CarpPS.Dsc.psm1'
    ModuleVersion        = '0.1.0'
    GUID                 = '2bf5ff86-7afa-4412-b217-aca9c0a3ca69'
    Author               = 'CarpPS contributors'
    CompanyName          = 'CarpPS contributors'
    Copyright            = '(c) CarpPS contributors.'
    Description          = 'CARP (Common Address Redundancy Protocol) for Linux: create carp interfaces that share virtual IP addresses between hosts and fail over between them, compatible with FreeBSD, OpenBSD and ucarp peers. Cmdlets for interfaces, status, sysctls, statistics and events; runs the engine in-process (root), talks to carpd, or simulates a LAN without root (Connect-CarpService -Simulation).'
    CompatiblePSEditions = @('Core')
    PowerShellVersion    = '7.6'
    FormatsToProcess     = @('CarpPS.format.ps1xml')
    NestedModules        = @('CarpPS.dll')
    # CarpPS.Dsc.ps1 and the *.dsc.resource.json manifests run them for DSC v3.
    DscResourcesToExport = @('CarpInterface', 'CarpMaintenance', 'CarpSysctl')
    CmdletsToExport      = @(
        'New-CarpInterface'
        'Set-CarpInterface'
        'Get-CarpInterface'
        'Remove-CarpInterface'
        'Suspend-CarpInterface'
        'Resume-CarpInterface'
        'Invoke-CarpFailoverTest'
        'Get-CarpFailoverTest'
        'Register-CarpFailoverTest'
        'Unregister-CarpFailoverTest'
        'Get-CarpStatus'
        'Get-CarpSysctl'
        'Set-CarpSysctl'
        'Get-CarpStatistics'
        'Reset-CarpStatistics'
        'Register-CarpEvent'
        'Register-CarpAction'
        'Get-CarpAction'
        'Unregister-CarpAction'
        'Wait-CarpState'
        'Connect-CarpService'
        'Disconnect-CarpService'
        'Watch-CarpNetwork'
        'Add-CarpTracker'
        'Get-CarpTracker'
        'Remove-CarpTracker'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('CARP', 'VRRP', 'HighAvailability', 'Failover', 'Linux', 'PSEdition_Core', 'DSC')
            ReleaseNotes = @'
0.1.0
- First release: New-, Set-, Get-, Remove-CarpInterface, Get-CarpStatus, Get-/Set-CarpSysctl,
  Get-/Reset-CarpStatistics, Register-CarpEvent, Wait-CarpState, Connect-/Disconnect-CarpService.
- Register-, Get-, Unregister-CarpAction: script blocks run for engine events in a background
  runspace, even while the session is busy (like keepalived notify scripts).
- Engines: in-process on the real wire (root), carpd over its control socket, or a simulated LAN
  for trying CARP without root (Connect-CarpService -Simulation).
- Compatibility profiles FreeBSD, OpenBSD, Classic and ucarp.
- DSC: class-based resources CarpInterface, CarpMaintenance and CarpSysctl, and DSC v3 resource manifests
  (CarpPS/CarpInterface, CarpPS/CarpMaintenance, CarpPS/CarpSysctl) that configure carpd's persisted configuration.
- Invoke-, Get-, Register-, Unregister-CarpFailoverTest: a failover drill measured on the wire,
  its history, timeline pictures, and schedules as systemd timers.
'@
        }
    }
}
