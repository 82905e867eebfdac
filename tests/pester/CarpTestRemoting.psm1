<#
    PowerShell remoting over SSH for the Pester scenarios (tests/pester/CarpPS.Remoting.Tests.ps1), on top of
    CarpTestNetwork.psm1: per firewall namespace an OpenSSH sshd started by the test, in the foreground, with
    host keys, authorized key, configuration and PID file of its own under the network's work folder, and the
    pwsh running this suite as its "powershell" subsystem. The system's sshd, /etc/ssh and root's ~/.ssh are
    never used: the system sshd is neither started nor stopped here.
#>

Set-StrictMode -Version Latest

function Get-CarpTestSshPrerequisite {
    <# Why the remoting scenarios cannot run here (beyond Get-CarpTestPrerequisite), or $null when they can. #>
    if (-not (Test-Path -LiteralPath /usr/sbin/sshd)) { return "OpenSSH's /usr/sbin/sshd (run eng/install-deps.sh)" }
    foreach ($tool in 'ssh', 'ssh-keygen', 'nsenter', 'unshare', 'hostname', 'getent') {
        if (-not (Get-Command $tool -CommandType Application -ErrorAction Ignore)) { return "the '$tool' command (run eng/install-deps.sh)" }
    }
    $null
}

function New-CarpTestSshKey {
    <# An ed25519 key pair without a passphrase at Path and Path.pub; returns the public key line. #>
    param([Parameter(Mandatory)] [string] $Path, [string] $Comment = 'carpps-test')
    $output = & ssh-keygen -q -t ed25519 -N '' -C $Comment -f $Path 2>&1
    if ($LASTEXITCODE -ne 0) { throw "ssh-keygen -f $Path failed: $output" }
    (Get-Content -LiteralPath "$Path.pub" -Raw).Trim()
}

function Start-CarpTestSshd {
    <#
        sshd for one firewall: listening on Address:22 inside Namespace, in the mount namespace of MountNamespaceOf
        (carpd: its sessions then see the /run, and so the control socket, carpd sees; /run/sshd is made in that
        private /run), in a UTS namespace of its own named HostName. Root logs in with the key AuthorizedKey only.
        Its subsystem "powershell" runs the suite's pwsh with -sshs, finding the modules under ModulePath, with HOME
        in the work folder. Returns once sshd logged that it listens: Process, Log, HostKey (the public key line).
    #>
    param(
        [Parameter(Mandatory)] $Network,
        [Parameter(Mandatory)] [string] $Namespace,
        [Parameter(Mandatory)] [string] $HostName,
        [Parameter(Mandatory)] [string] $Address,
        [Parameter(Mandatory)] [System.Diagnostics.Process] $MountNamespaceOf,
        [Parameter(Mandatory)] [string] $AuthorizedKey,
        [Parameter(Mandatory)] [string] $ModulePath
    )
    $dir = (New-Item -ItemType Directory -Path (Join-Path $Network.WorkDir "$HostName.sshd")).FullName
    $null = New-Item -ItemType Directory -Path (Join-Path $dir 'home')
    $hostKey = New-CarpTestSshKey -Path (Join-Path $dir 'ssh_host_ed25519_key') -Comment $HostName
    Set-Content -LiteralPath (Join-Path $dir 'authorized_keys') -Value $AuthorizedKey

    # The subsystem: sshd runs it with the user's shell and a clean environment, so the wrapper sets what pwsh needs.
    $dotnet = (Get-Command dotnet -CommandType Application | Select-Object -First 1).Source
    $subsystem = Join-Path $dir 'pwsh-sshs.sh'
    Set-Content -LiteralPath $subsystem -Value @(
        '#!/bin/sh'
        "export HOME='$dir/home' PSModulePath='$ModulePath' NO_COLOR=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 POWERSHELL_TELEMETRY_OPTOUT=1"
        "exec '$dotnet' '$(Join-Path $PSHOME 'pwsh.dll')' -sshs -NoLogo -NoProfile"
    )
    & chmod 0755 $subsystem

    $config = Join-Path $dir 'sshd_config'
    Set-Content -LiteralPath $config -Value @(
        "ListenAddress $Address"
        'Port 22'
        "HostKey $dir/ssh_host_ed25519_key"
        "PidFile $dir/sshd.pid"
        "AuthorizedKeysFile $dir/authorized_keys"
        'AuthenticationMethods publickey'
        'PubkeyAuthentication yes'
        'PasswordAuthentication no'
        'KbdInteractiveAuthentication no'
        'PermitRootLogin prohibit-password'
        'AllowUsers root'
        'UsePAM no'
        'StrictModes no' # the keys live in the test's temp folder
        'PrintMotd no'
        'PrintLastLog no'
        'X11Forwarding no'
        'AllowTcpForwarding no'
        "Subsystem powershell $subsystem"
    )
    $log = Join-Path $dir 'sshd.log'
    # nsenter, unshare, sh and sshd each exec the next: the PID started here is sshd's (-D: no daemon).
    $process = Start-CarpTestProcess -Network $Network -Namespace $Namespace -FilePath 'nsenter' -ArgumentList @(
        '-t', $MountNamespaceOf.Id, '-m', '--', 'unshare', '--uts', '--', '/bin/sh', '-c',
        'hostname "$0" && mkdir -p -m 0755 /run/sshd && exec /usr/sbin/sshd -D -e -f "$1" >"$2" 2>&1', $HostName, $config, $log)
    Wait-CarpTestCondition -Timeout ([timespan]::FromSeconds(20)) -Because "sshd in $Namespace did not listen on $Address`:22: $(Get-Content -Raw -LiteralPath $log -ErrorAction Ignore)" {
        if ($process.HasExited) { throw "sshd in $Namespace exited ($($process.ExitCode)): $(Get-Content -Raw -LiteralPath $log -ErrorAction Ignore)" }
        (Test-Path -LiteralPath $log) -and (Get-Content -Raw -LiteralPath $log) -match "Server listening on $([regex]::Escape($Address)) port 22"
    }
    [pscustomobject]@{ HostName = $HostName; Address = $Address; Process = $process; Log = $log; HostKey = $hostKey }
}

function New-CarpTestSshClientHome {
    <#
        The admin host's home folder, to bind over root's (ssh reads ~/.ssh through the passwd entry, not $HOME):
        .ssh/id_ed25519 and an empty .ssh/known_hosts; Add-CarpTestSshKnownHost names the firewalls there and in
        Hosts, the admin's /etc/hosts. Returns Path, PublicKey, KnownHosts and Hosts.
    #>
    param([Parameter(Mandatory)] $Network)
    $folder = (New-Item -ItemType Directory -Path (Join-Path $Network.WorkDir 'admin-home')).FullName
    $ssh = (New-Item -ItemType Directory -Path (Join-Path $folder '.ssh')).FullName
    & chmod 0700 $folder $ssh
    $publicKey = New-CarpTestSshKey -Path (Join-Path $ssh 'id_ed25519') -Comment 'carpps-admin'
    $knownHosts = Join-Path $ssh 'known_hosts'
    $hosts = Join-Path $Network.WorkDir 'admin-hosts'
    Set-Content -LiteralPath $knownHosts -Value @()
    Set-Content -LiteralPath $hosts -Value '127.0.0.1 localhost'
    [pscustomobject]@{ Path = $folder; PublicKey = $publicKey; KnownHosts = $knownHosts; Hosts = $hosts }
}

function Add-CarpTestSshKnownHost {
    <# Names an sshd (Start-CarpTestSshd) in the client's known_hosts, by host name and address, and in its hosts file. #>
    param([Parameter(Mandatory)] $ClientHome, [Parameter(Mandatory)] $Sshd)
    $type, $key = ($Sshd.HostKey -split ' ')[0, 1]
    Add-Content -LiteralPath $ClientHome.KnownHosts -Value "$($Sshd.HostName),$($Sshd.Address) $type $key"
    Add-Content -LiteralPath $ClientHome.Hosts -Value "$($Sshd.Address) $($Sshd.HostName)"
}

Export-ModuleMember -Function Get-CarpTestSshPrerequisite, New-CarpTestSshKey, Start-CarpTestSshd, New-CarpTestSshClientHome, Add-CarpTestSshKnownHost
