#!/usr/bin/env bash
# Installs what CarpPS needs on a fresh Debian machine (run as root). Idempotent: does nothing when all is present.
#   Debian packages: libpcap0.8 and the tools the lab and the network tests drive; openssh-server (never started).
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
# OpenSSH for the remoting scenarios (tests/pester/CarpPS.Remoting.Tests.ps1), which start their own sshd in each
# namespace: installed with a policy-rc.d that forbids starting services, then the system sshd is disabled again.
install_openssh() {
  local need=() p policy=/usr/sbin/policy-rc.d created= before after
  for p in openssh-server openssh-client; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
  done
  [ ${#need[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || { echo "install-deps: missing ${need[*]}; run as root" >&2; exit 1; }
  echo "install-deps: installing ${need[*]} (the system sshd is neither started nor enabled)" >&2
  before=$(pgrep -x sshd | sort || true)
  if [ ! -e "$policy" ]; then
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT # only the one created here
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 0755 "$policy" && created=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  if [ -n "$created" ]; then rm -f "$policy"; trap - EXIT; fi
  systemctl disable --quiet ssh.service ssh.socket 2>/dev/null || true
  update-rc.d ssh disable >/dev/null 2>&1 || true
  after=$(pgrep -x sshd | sort || true)
  if [ -n "$(comm -13 <(echo "$before") <(echo "$after"))" ]; then
    echo "install-deps: a system sshd started while installing openssh-server (PIDs: $after); stop it: systemctl stop ssh" >&2
    exit 1
  fi
}
install_openssh
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
