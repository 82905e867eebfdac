#!/usr/bin/env bash
# CarpPS build entry point. Run as root on Debian with the .NET SDK:
#   ./build.sh lab    the failover lab (namespaces, carpd, a real failover with a timeline); --fresh N, --peer ucarp|keepalived
#   ./build.sh bench-scale   carpd at scale in namespaces: 1000 masters (CPU, RSS, wake-ups, system calls) and a 255-vhid mass switch
#   ./build.sh test   every test suite (engine, architecture, carpd, network namespaces, PowerShell module, Pester with pwsh)
#   ./build.sh soak   the fault suite (docs/reliability.md) with its long variants: 10 minutes of advert loss instead of 2
#   ./build.sh build | layout | package | bench | sim
# Both lab and test install what they need first (eng/install-deps.sh, NuGet restore).
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)
task=${1:-build}
shift || true
config=${CONFIGURATION:-Release}
tools=${CARP_TOOLS:-$root/.tools}
export CARP_TOOLS=$tools
artifacts=${CARP_ARTIFACTS:-$root/artifacts}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

build() {
  dotnet build CarpPS.slnx -c "$config" --artifacts-path "$artifacts" -nologo -clp:ErrorsOnly -v:q
}

bin() { echo "$artifacts/bin/$1/${config,,}/$1"; }

# Runs one xunit.v3 test executable, keeping its output; prints a one-line summary.
run_suite() {
  local name=$1; shift
  local log="$artifacts/test-logs/$name.log"
  local exe; exe=$(bin "$name")
  set +e
  "$exe" -noColor "$@" >"$log" 2>&1
  local rc=$?
  set -e
  local summary; summary=$(grep -E "^\s*$name\s+Total:" "$log" | tail -1 | sed 's/^ *//')
  echo "$name: ${summary:-no summary} (exit $rc)"
  return $rc
}

# The Pester suite, with the pwsh and Pester that eng/install-deps.sh installed; prints the same summary line.
run_pester() {
  local log="$artifacts/test-logs/Pester.log"
  local pester; pester=$(ls -d "$tools"/nuget/pester/*/tools/Pester.psd1 2>/dev/null | sort -V | tail -1)
  set +e
  if [ ! -x "$tools/pwsh" ] || [ -z "$pester" ]; then
    echo "pwsh or Pester is missing from $tools: run eng/install-deps.sh" >"$log"; rc=1
  else
    NO_COLOR=1 "$tools/pwsh" -NoLogo -NoProfile -NonInteractive -File eng/run-pester.ps1 \
      -PesterPath "$pester" -ResultPath "$artifacts/test-logs/Pester.xml" >"$log" 2>&1
    rc=$?
  fi
  set -e
  local summary; summary=$(grep -E "^\s*Pester\s+Total:" "$log" | tail -1 | sed 's/^ *//')
  echo "Pester: ${summary:-no summary} (exit $rc)"
  return $rc
}

case "$task" in
  build)
    build ;;
  layout)
    build
    CONFIGURATION=$config CARP_ARTIFACTS=$artifacts eng/layout.sh --from "$artifacts/bin/CarpPS/${config,,}" ;;
  package)
    build
    module=$(CONFIGURATION=$config CARP_ARTIFACTS=$artifacts eng/layout.sh --from "$artifacts/bin/CarpPS/${config,,}" | tail -n 1)
    CONFIGURATION=$config CARP_ARTIFACTS=$artifacts eng/package.sh --module "$module" ;;
  sim)
    build
    "$(bin Carp.Lab)" --simulate "$@" ;;
  lab)
    eng/install-deps.sh
    build
    exec "$(bin Carp.Lab)" "$@" ;;
  bench-scale)
    eng/install-deps.sh
    build
    exec "$(bin Carp.Lab)" --scale "$@" ;;
  bench)
    dotnet run -c Release --project bench/Carp.Benchmarks --artifacts-path "$artifacts/bench" -- "$@" ;;
  test)
    eng/install-deps.sh
    build
    # The PowerShell tests import exactly the module as it is laid out for installation.
    CARPPS_MODULE_DIR=$(CONFIGURATION=$config CARP_ARTIFACTS=$artifacts eng/layout.sh --from "$artifacts/bin/CarpPS/${config,,}" | tail -n 1)
    export CARPPS_MODULE_DIR
    mkdir -p "$artifacts/test-logs"
    # Independent suites run side by side; each one's log is kept under artifacts/test-logs.
    pids=(); names=(Carp.Engine.Tests Carp.Architecture.Tests Carpd.Tests Carp.Network.Tests CarpPS.Tests)
    for n in "${names[@]}"; do run_suite "$n" & pids+=($!); done
    run_pester & pids+=($!); names+=(Pester)
    failed=0
    for p in "${pids[@]}"; do wait "$p" || failed=1; done
    passed=0; fails=0; skipped=0
    for n in "${names[@]}"; do
      line=$(grep -E "^\s*$n\s+Total:" "$artifacts/test-logs/$n.log" | tail -1 || true)
      if [ -z "$line" ]; then echo "---- $n produced no summary:"; tail -40 "$artifacts/test-logs/$n.log"; failed=1; continue; fi
      t=$(sed -E 's/.*Total: ([0-9]+).*/\1/' <<<"$line"); e=$(sed -E 's/.*Errors: ([0-9]+).*/\1/' <<<"$line")
      f=$(sed -E 's/.*Failed: ([0-9]+).*/\1/' <<<"$line"); s=$(sed -E 's/.*Skipped: ([0-9]+).*/\1/' <<<"$line")
      passed=$((passed + t - f - s)); fails=$((fails + f + e)); skipped=$((skipped + s))
      if [ "$f" != 0 ] || [ "$e" != 0 ]; then echo "---- failures in $n:"; grep -E "\[FAIL\]|\[-\]|Assert|Exception|at .*\.cs|\.ps1:[0-9]" "$artifacts/test-logs/$n.log" | head -60; fi
      if [ "${CI:-}" = "true" ] && [ "$s" != 0 ]; then echo "---- $n skipped $s tests under CI=true:"; grep -E "\[SKIP\]" -A2 "$artifacts/test-logs/$n.log" | head -20; failed=1; fi
    done
    echo "$passed passed, $fails failed, $skipped skipped"
    [ $failed = 0 ] && [ $fails = 0 ] ;;
  soak)
    eng/install-deps.sh
    build
    mkdir -p "$artifacts/test-logs"
    # CARP_SOAK=1 makes the loss scenarios run 10 minutes each (side by side with the other fault classes).
    log="$artifacts/test-logs/soak.log"
    set +e
    CARP_SOAK=1 "$(bin Carp.Network.Tests)" -noColor -showLiveOutput -namespace Carp.Network.Tests.Faults "$@" >"$log" 2>&1
    rc=$?
    set -e
    grep -E "MEASURED" "$log" | sed -E 's/^.*MEASURED: /  /' | sort -u || true
    grep -E "\[FAIL\]" "$log" | sed -E 's/^ *//' | sort -u || true
    echo "soak: $(grep -E "^\s*Carp.Network.Tests\s+Total:" "$log" | tail -1 | sed 's/^ *//') (exit $rc, log $log)"
    exit $rc ;;
  *)
    echo "usage: ./build.sh lab|test|soak|build|layout|package|sim|bench|bench-scale" >&2; exit 2 ;;
esac
