<#
    What every Pester file shares: where the suite finds what it tests — the laid-out module and the carpd that
    ./build.sh test built (it sets CARPPS_MODULE_DIR and CARPD_PATH), else the newest out/CarpPS/<version>/ and
    artifacts/'s carpd — and starting carpd the way systemd does (NOTIFY_SOCKET, ready at READY=1).
#>

Set-StrictMode -Version Latest

function Get-CarpTestModuleDirectory {
    <# The laid-out module's folder: $env:CARPPS_MODULE_DIR, else the newest out/CarpPS/<version>/. #>
    if ($env:CARPPS_MODULE_DIR) { return $env:CARPPS_MODULE_DIR }
    Get-ChildItem -Path (Join-Path $PSScriptRoot '../../out/CarpPS') -Directory |
        Sort-Object { [version]$_.Name } | Select-Object -Last 1 -ExpandProperty FullName
}

function Get-CarpTestCarpdPath {
    <# The carpd to start: $env:CARPD_PATH, else artifacts/bin/carpd/release/carpd; throws when it is not built. #>
    $carpd = if ($env:CARPD_PATH) { $env:CARPD_PATH } else { Join-Path $PSScriptRoot '../../artifacts/bin/carpd/release/carpd' }
    if (-not (Test-Path -LiteralPath $carpd)) { throw "carpd is not built at $carpd; run ./build.sh build or set CARPD_PATH." }
    $carpd
}

function Start-CarpTestNotified {
    <#
        Binds a NOTIFY_SOCKET at NotifyPath, runs Start (which starts carpd with NOTIFY_SOCKET=NotifyPath and returns its
        Process), and returns that process once carpd sent READY=1; throws after 20 s with the tail of Log.
    #>
    param(
        [Parameter(Mandatory)] [string] $NotifyPath,
        [Parameter(Mandatory)] [scriptblock] $Start,
        [Parameter(Mandatory)] [string] $Log,
        [Parameter(Mandatory)] [string] $What
    )
    Remove-Item -LiteralPath $NotifyPath -ErrorAction Ignore
    $notify = [System.Net.Sockets.Socket]::new([System.Net.Sockets.AddressFamily]::Unix, [System.Net.Sockets.SocketType]::Dgram, [System.Net.Sockets.ProtocolType]::Unspecified)
    try {
        $notify.Bind([System.Net.Sockets.UnixDomainSocketEndPoint]::new($NotifyPath))
        $process = & $Start
        $notify.ReceiveTimeout = 20000
        $buffer = [byte[]]::new(4096)
        while ($true) {
            try { $count = $notify.Receive($buffer) }
            catch { throw "$What did not report READY=1 within 20 s (exited: $($process.HasExited)): $(Get-Content -Raw -LiteralPath $Log -ErrorAction Ignore)" }
            if ([System.Text.Encoding]::UTF8.GetString($buffer, 0, $count) -split "`n" -contains 'READY=1') { return $process }
        }
    }
    finally { $notify.Dispose() }
}

Export-ModuleMember -Function Get-CarpTestModuleDirectory, Get-CarpTestCarpdPath, Start-CarpTestNotified
