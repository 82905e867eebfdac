#!/usr/bin/env bash
# Installs what CarpPS needs on a fresh Debian machine (run as root). Idempotent: does nothing when all is present.
#   Debian packages: libpcap0.8 and the tools the lab and the network tests drive.
#   pwsh 7.6.9 (a .NET tool) and Pester 6.2.0 (from NuGet), into the repository's own .tools/ (or $CARP_TOOLS).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools=${CARP_TOOLS:-$root/.tools}
pwsh_version=7.6.9
pester_version=6.2.0

install_powershell() {
  if [ ! -x "$tools/pwsh" ] || ! "$tools/pwsh" -NoLogo -NoProfile -NonInteractive -Command '$PSVersionTable.PSVersion.ToString()' 2>/dev/null | grep -qx "$pwsh_version"; then
    echo "install-deps: installing pwsh $pwsh_version into $tools" >&2
    rm -rf "$tools/pwsh" "$tools/.store/powershell"
    dotnet tool install PowerShell --version "$pwsh_version" --tool-path "$tools" >/dev/null
  fi
  if [ ! -f "$tools/nuget/pester/$pester_version/tools/Pester.psd1" ]; then
    echo "install-deps: restoring Pester $pester_version into $tools/nuget" >&2
    dotnet restore "$root/eng/pester/Pester.Restore.csproj" --packages "$tools/nuget" -p:PesterVersion="$pester_version" -v:q >/dev/null
  fi
}
packages=(libpcap0.8 ucarp tshark tcpdump iproute2 iputils-ping iputils-arping nftables procps systemd)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  install_powershell
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing ${missing[*]}; run as root (or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
install_powershell
