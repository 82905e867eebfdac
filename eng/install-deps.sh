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
# keepalived is only run by the lab (./build.sh lab --peer keepalived), in a namespace, in the foreground; strace counts
# carpd's system calls in ./build.sh bench-scale; OpenSSH serves the remoting scenarios (tests/pester/CarpPS.Remoting.Tests.ps1),
# which start their own sshd in each namespace.
packages=(libpcap0.8 ucarp keepalived strace openssh-server openssh-client tshark tcpdump iproute2 iputils-ping iputils-arping nftables procps systemd)
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
echo "install-deps: installing ${missing[*]} (keepalived and sshd are neither started nor enabled)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
sshd_before=$(pgrep -x sshd | sort || true)
# keepalived and sshd (like ucarp) must never run as host services: a policy-rc.d that denies every start keeps their
# maintainer scripts from starting them during the install, and their units are disabled (keepalived's masked) afterwards.
policy=/usr/sbin/policy-rc.d
saved_policy=""
if [ -e "$policy" ]; then saved_policy=$(mktemp); cp -p "$policy" "$saved_policy"; fi
restore_policy() { if [ -n "$saved_policy" ]; then mv -f "$saved_policy" "$policy"; else rm -f "$policy"; fi; }
trap restore_policy EXIT
printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod 755 "$policy"
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
restore_policy; trap - EXIT
if dpkg-query -W -f='${Status}' keepalived 2>/dev/null | grep -q "install ok installed"; then
  systemctl disable keepalived.service >/dev/null 2>&1 || true
  systemctl mask keepalived.service >/dev/null 2>&1 || true
  if [ -d /run/systemd/system ]; then systemctl stop keepalived.service >/dev/null 2>&1 || true; fi
fi
if dpkg-query -W -f='${Status}' openssh-server 2>/dev/null | grep -q "install ok installed"; then
  systemctl disable --quiet ssh.service ssh.socket 2>/dev/null || true
  update-rc.d ssh disable >/dev/null 2>&1 || true
  if [ -n "$(comm -13 <(echo "$sshd_before") <(pgrep -x sshd | sort || true))" ]; then
    echo "install-deps: a system sshd started while installing openssh-server; stop it: systemctl stop ssh" >&2
    exit 1
  fi
fi
install_powershell
