<#
    Network namespaces for the Pester scenarios that move real addresses: the PowerShell twin of
    src/Carp.Testbed, small on purpose. Every namespace is "carpp-<pid>-<hex>-<role>", tracked before it
    is created; Remove-CarpTestNetwork kills what the network started (by PID) and deletes its
    namespaces and work folder whatever happened before. Only documentation addresses are used.
#>

Set-StrictMode -Version Latest
Import-Module (Join-Path $PSScriptRoot 'CarpTestKit.psm1')

$script:Prefix = 'carpp-'

function Get-CarpTestPrerequisite {
    <# Why the namespace scenarios cannot run here, or $null when they can. #>
    if (-not $IsLinux) { return 'Linux' }
    if ((& id -u) -ne '0') { return 'root (network namespaces, netlink, raw packets)' }
    foreach ($tool in 'ip', 'arping', 'tcpdump', 'tshark', 'dotnet') {
        if (-not (Get-Command $tool -CommandType Application -ErrorAction Ignore)) { return "the '$tool' command (run eng/install-deps.sh)" }
    }
    $null
}

function Invoke-CarpTestIp {
    <# Runs "ip ARGS" and throws with its stderr when it fails. #>
    $output = & ip @args 2>&1
    if ($LASTEXITCODE -ne 0) { throw "ip $($args -join ' ') failed: $output" }
    $output
}

function Remove-StaleCarpTestNamespace {
    # Namespaces left by a pwsh that was killed before its AfterAll: their owner's PID is gone.
    if (-not (Test-Path /var/run/netns)) { return }
    foreach ($name in @(Get-ChildItem /var/run/netns -Filter "$script:Prefix*" | ForEach-Object Name)) {
        $owner = ($name -split '-')[1]
        if ($owner -match '^\d+$' -and [int]$owner -ne $PID -and -not (Test-Path "/proc/$owner")) {
            & ip netns del $name 2>$null
        }
    }
}

function New-CarpTestNetwork {
    <# An empty network: add namespaces, bridges and plugs to it. #>
    Remove-StaleCarpTestNamespace
    $id = '{0}{1}-{2}' -f $script:Prefix, $PID, [Convert]::ToHexString([System.Security.Cryptography.RandomNumberGenerator]::GetBytes(3)).ToLowerInvariant()
    [pscustomobject]@{
        Id         = $id
        Namespaces = [System.Collections.Generic.List[string]]::new()
        Processes  = [System.Collections.Generic.List[System.Diagnostics.Process]]::new()
        WorkDir    = (New-Item -ItemType Directory -Path (Join-Path ([System.IO.Path]::GetTempPath()) $id)).FullName
    }
}

function Add-CarpTestNamespace {
    param([Parameter(Mandatory)] $Network, [Parameter(Mandatory)] [string] $Role)
    $name = "$($Network.Id)-$Role"
    $Network.Namespaces.Add($name) # tracked first: removed even if creating it fails halfway
    $null = Invoke-CarpTestIp netns add $name
    $null = Invoke-CarpTestIp -n $name link set lo up
    $name
}

function Add-CarpTestBridge {
    <# A bridge that floods multicast to every port (no snooping), up. #>
    param([Parameter(Mandatory)] [string] $Namespace, [Parameter(Mandatory)] [string] $Bridge)
    $null = Invoke-CarpTestIp -n $Namespace link add $Bridge type bridge mcast_snooping 0
    $null = Invoke-CarpTestIp -n $Namespace link set $Bridge up
}

function Connect-CarpTestNamespace {
    <# A veth from Namespace/Interface (with Address) to a port of Bridge in BridgeNamespace: a cable to a switch. #>
    param(
        [Parameter(Mandatory)] [string] $Namespace,
        [Parameter(Mandatory)] [string] $Interface,
        [Parameter(Mandatory)] [string] $BridgeNamespace,
        [Parameter(Mandatory)] [string] $Bridge,
        [Parameter(Mandatory)] [string] $Port,
        [Parameter(Mandatory)] [string] $Address
    )
    $null = Invoke-CarpTestIp link add $Port netns $BridgeNamespace type veth peer name $Interface netns $Namespace
    $null = Invoke-CarpTestIp -n $BridgeNamespace link set $Port master $Bridge
    $null = Invoke-CarpTestIp -n $BridgeNamespace link set $Port up
    $null = Invoke-CarpTestIp -n $Namespace addr add $Address dev $Interface
    $null = Invoke-CarpTestIp -n $Namespace link set $Interface up
}

function Start-CarpTestProcess {
    <# Starts FILE ARGS inside a namespace (ip netns exec execs it: the PID is the program's); killed with the network. #>
    param(
        [Parameter(Mandatory)] $Network,
        [Parameter(Mandatory)] [string] $Namespace,
        [Parameter(Mandatory)] [string] $FilePath,
        [string[]] $ArgumentList = @(),
        [hashtable] $Environment = @{},
        [switch] $Interactive
    )
    $psi = [System.Diagnostics.ProcessStartInfo]::new('ip')
    foreach ($a in @('netns', 'exec', $Namespace, $FilePath) + $ArgumentList) { $psi.ArgumentList.Add($a) }
    foreach ($key in $Environment.Keys) { $psi.Environment[$key] = [string]$Environment[$key] }
    $psi.UseShellExecute = $false
    $psi.RedirectStandardInput = [bool]$Interactive
    $psi.RedirectStandardOutput = [bool]$Interactive
    $process = [System.Diagnostics.Process]::Start($psi)
    $Network.Processes.Add($process)
    $process
}

function Start-CarpTestShell {
    <#
        A pwsh (the one running this suite) inside a namespace, importing the module and reading commands
        from its stdin (tests/pester/Fixtures/CarpShell.ps1): one firewall's console.
    #>
    param(
        [Parameter(Mandatory)] $Network,
        [Parameter(Mandatory)] [string] $Namespace,
        [Parameter(Mandatory)] [string] $Manifest,
        # A process (carpd) whose mount namespace the shell shares, to see the /run it sees.
        [System.Diagnostics.Process] $MountNamespaceOf,
        # Path on the host => path in the shell: bind-mounted in the shell's own mount namespace (ip netns exec makes one).
        [System.Collections.IDictionary] $BindMount = @{},
        [hashtable] $Environment = @{}
    )
    if ($MountNamespaceOf -and $BindMount.Count) { throw 'A shell in another process''s mount namespace cannot have bind mounts of its own.' }
    # dotnet runs pwsh.dll in its own process, so the PID we kill is PowerShell itself, not a launcher.
    $pwsh = 'dotnet', (Join-Path $PSHOME 'pwsh.dll'), '-NoLogo', '-NoProfile', '-NonInteractive', '-File', (Join-Path $PSScriptRoot 'Fixtures/CarpShell.ps1'), '-Manifest', $Manifest
    if ($MountNamespaceOf) { $pwsh = @('nsenter', '-t', $MountNamespaceOf.Id, '-m', '--') + $pwsh }
    if ($BindMount.Count) {
        $mounts = foreach ($source in $BindMount.Keys) { $source; $BindMount[$source] }
        $pwsh = @('/bin/sh', '-c', 'while [ "$1" != -- ]; do mount --bind "$1" "$2" || exit 1; shift 2; done; shift; exec "$@"', 'bind') + $mounts + '--' + $pwsh
    }
    $process = Start-CarpTestProcess -Network $Network -Namespace $Namespace -FilePath $pwsh[0] -ArgumentList ($pwsh | Select-Object -Skip 1) -Interactive `
        -Environment (@{ NO_COLOR = '1' } + $Environment)
    $shell = [pscustomobject]@{ Namespace = $Namespace; Process = $process; Pending = $null; Transcript = [System.Collections.Generic.List[string]]::new() }
    $null = Read-CarpTestShellLine -Shell $shell -Until '<<READY>>' -Timeout ([timespan]::FromSeconds(60))
    $shell
}

function Read-CarpTestShellLine {
    # Reads the shell's stdout up to the line Until; a read that times out stays pending for the next call.
    param($Shell, [string[]] $Until, [timespan] $Timeout)
    $deadline = [DateTime]::UtcNow + $Timeout
    $lines = [System.Collections.Generic.List[string]]::new()
    while ($true) {
        if ($null -eq $Shell.Pending) { $Shell.Pending = $Shell.Process.StandardOutput.ReadLineAsync() }
        $left = [Math]::Max(0, ($deadline - [DateTime]::UtcNow).TotalMilliseconds)
        if (-not $Shell.Pending.Wait([int]$left)) {
            throw "The shell in $($Shell.Namespace) gave no '$($Until -join "' or '")' within $Timeout. It said:`n$($Shell.Transcript -join "`n")"
        }
        $line = $Shell.Pending.Result
        $Shell.Pending = $null
        if ($null -eq $line) { throw "The shell in $($Shell.Namespace) exited. It said:`n$($Shell.Transcript -join "`n")" }
        $Shell.Transcript.Add($line)
        if ($line -in $Until) { return [pscustomobject]@{ Marker = $line; Lines = $lines.ToArray() } }
        $lines.Add($line)
    }
}

function Invoke-CarpTestShell {
    <# Runs one line in the shell and returns its output lines; throws with the error when the line failed. #>
    param([Parameter(Mandatory)] $Shell, [Parameter(Mandatory)] [string] $Command, [timespan] $Timeout = [timespan]::FromSeconds(30))
    $Shell.Transcript.Add("> $Command")
    $Shell.Process.StandardInput.WriteLine($Command)
    $Shell.Process.StandardInput.Flush()
    $result = Read-CarpTestShellLine -Shell $Shell -Until '<<OK>>', '<<FAILED>>' -Timeout $Timeout
    $output = @($result.Lines | Where-Object { $_.StartsWith('OUT ') } | ForEach-Object { $_.Substring(4) })
    if ($result.Marker -eq '<<FAILED>>') {
        throw "'$Command' failed in $($Shell.Namespace): $(($result.Lines | Where-Object { $_.StartsWith('ERR ') }) -join ' ')"
    }
    $output
}

function Start-CarpTestCarpd {
    <#
        carpd inside a namespace, on its default socket /run/carpd/carpd.sock as installed: in a mount namespace of its
        own whose /run is a fresh tmpfs, so each firewall's carpd has its own and the host's /run is never touched
        (Start-CarpTestShell -MountNamespaceOf joins it). Started the way systemd starts it: with NOTIFY_SOCKET, and
        ready once it sent READY=1. Its output goes to <WorkDir>/<Name>.carpd.log.
    #>
    param(
        [Parameter(Mandatory)] $Network, [Parameter(Mandatory)] [string] $Namespace, [Parameter(Mandatory)] [string] $Name,
        # carpd's configuration file (--config): loaded at start, written back on every change.
        [string] $Config
    )
    $carpd = Get-CarpTestCarpdPath

    $log = Join-Path $Network.WorkDir "$Name.carpd.log"
    $notifyPath = Join-Path $Network.WorkDir "$Name.notify"
    $configArguments = if ($Config) { @('--config', $Config) } else { @() }
    # A carpd started again under the same name binds the notify socket afresh.
    $process = Start-CarpTestNotified -NotifyPath $notifyPath -Log $log -What "carpd in $Namespace" -Start {
        # unshare, sh and carpd each exec the next: the PID started here is carpd's.
        Start-CarpTestProcess -Network $Network -Namespace $Namespace -FilePath 'unshare' -Environment @{ NOTIFY_SOCKET = $notifyPath } `
            -ArgumentList (@('--mount', '--propagation', 'private', '/bin/sh', '-c', 'mount -t tmpfs carpd-run /run && log=$1 && shift && exec "$0" "$@" >>"$log" 2>&1', $carpd, $log) + $configArguments)
    }
    [pscustomobject]@{ Process = $process; Log = $log }
}

function Start-CarpTestCapture {
    <# tcpdump of the CARP adverts on a bridge, into a pcap file; returns once the capture holds an advert. #>
    param([Parameter(Mandatory)] $Network, [Parameter(Mandatory)] [string] $Namespace, [Parameter(Mandatory)] [string] $Interface)
    $pcap = Join-Path $Network.WorkDir "$Interface-$([guid]::NewGuid().ToString('n')).pcap"
    $process = Start-CarpTestProcess -Network $Network -Namespace $Namespace -FilePath '/bin/sh' -ArgumentList '-c',
        'exec tcpdump -i "$0" -n -U --immediate-mode -Z root -s 0 -w "$1" ip proto 112 2>/dev/null', $Interface, $pcap
    # An advert a second is on the wire: the pcap grows past its 24-byte header once capturing has started.
    Wait-CarpTestCondition -Timeout ([timespan]::FromSeconds(10)) -Because "tcpdump on $Interface captured no advert" {
        (Test-Path -LiteralPath $pcap) -and (Get-Item -LiteralPath $pcap).Length -gt 24
    }
    [pscustomobject]@{ Process = $process; Path = $pcap }
}

function Stop-CarpTestCapture {
    <# Stops the capture and decodes its adverts with tshark: Source, Vhid, AdvSkew, AdvBase per advert. #>
    param([Parameter(Mandatory)] $Capture)
    $Capture.Process.Kill()
    $Capture.Process.WaitForExit()
    $rows = & tshark -r $Capture.Path -n -d 'ip.proto==112,carp' -T fields -E 'separator=|' -e ip.src -e carp.vhid -e carp.advskew -e carp.adver_int 2>$null
    foreach ($row in $rows) {
        $source, $vhid, $skew, $base = $row -split '\|'
        if ($skew -ne '') { [pscustomobject]@{ Source = $source; Vhid = [int]$vhid; AdvSkew = [int]$skew; AdvBase = [int]$base } }
    }
}

function Get-CarpTestArpReply {
    <#
        The MAC of every ARP reply to Count requests for Address from Namespace. Without -w, iputils arping
        prints every reply, so a second answerer shows as a second line.
    #>
    param([Parameter(Mandatory)] [string] $Namespace, [Parameter(Mandatory)] [string] $Address, [int] $Count = 2, [string] $Interface = 'eth0')
    foreach ($line in (& ip netns exec $Namespace arping -c $Count -I $Interface $Address 2>&1)) {
        if ($line -match 'reply from .*\[([0-9a-fA-F:]+)\]') { $Matches[1].ToUpperInvariant() }
    }
}

function Wait-CarpTestCondition {
    <# Polls a state (not a fixed sleep) every 50 ms until Condition is true; throws Because at Timeout. #>
    param([Parameter(Mandatory, Position = 0)] [scriptblock] $Condition, [timespan] $Timeout = [timespan]::FromSeconds(10), [string] $Because = 'the condition never held')
    $deadline = [DateTime]::UtcNow + $Timeout
    while (-not (& $Condition)) {
        if ([DateTime]::UtcNow -gt $deadline) { throw "After $Timeout`: $Because." }
        Start-Sleep -Milliseconds 50
    }
}

function Remove-CarpTestNetwork {
    <# Kills every process the network started (by PID), deletes its namespaces and work folder. #>
    param($Network)
    if ($null -eq $Network) { return }
    foreach ($process in $Network.Processes) {
        try {
            if (-not $process.HasExited) { $process.Kill($true); $null = $process.WaitForExit(5000) }
        }
        catch { Write-Warning "Could not stop PID $($process.Id): $_" }
        finally { $process.Dispose() }
    }
    $Network.Processes.Clear()
    foreach ($name in $Network.Namespaces) { & ip netns del $name 2>$null }
    $Network.Namespaces.Clear()
    Remove-Item -LiteralPath $Network.WorkDir -Recurse -Force -ErrorAction Ignore
}

Export-ModuleMember -Function Get-CarpTestPrerequisite, Invoke-CarpTestIp, New-CarpTestNetwork, Add-CarpTestNamespace, Add-CarpTestBridge,
    Connect-CarpTestNamespace, Start-CarpTestProcess, Start-CarpTestShell, Invoke-CarpTestShell, Start-CarpTestCarpd, Start-CarpTestCapture,
    Stop-CarpTestCapture, Get-CarpTestArpReply, Wait-CarpTestCondition, Remove-CarpTestNetwork
