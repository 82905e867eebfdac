#!/usr/bin/env bash
# CarpPS build entry point. Run as root on Debian with the .NET SDK:
#   ./build.sh lab    the failover lab (namespaces, carpd, a real failover with a timeline); --fresh N, --peer ucarp|keepalived, --vrrp [--interval 100ms]
#   ./build.sh bench-scale   carpd at scale in namespaces: 1000 masters (CPU, RSS, wake-ups, system calls) and a 255-vhid mass switch
#   ./build.sh test   every test suite (engine, architecture, carpd, network namespaces, PowerShell module, Pester with pwsh)
#                     CARP_TEST_SUITES="Carp.Architecture.Tests Pester" runs only the named ones (default: all of
#                     Carp.Engine.Tests Carp.Architecture.Tests Carpd.Tests Carp.Network.Tests CarpPS.Tests Pester PesterBuild)
#   ./build.sh soak   the fault suite (docs/reliability.md) with its long variants: 10 minutes of advert loss instead of 2
#   ./build.sh build | layout | package | bench | sim
# Both lab and test install what they need first (eng/install-deps.sh, NuGet restore).
# Environment: CONFIGURATION (Release), CARP_ARTIFACTS (dotnet --artifacts-path, <repo>/artifacts),
# CARP_OUT (where the module is laid out and packed, <repo>/out), CARP_TEST_LOGS (the test logs,
# <artifacts>/test-logs), CARP_TOOLS (pwsh and Pester, <repo>/.tools). A nested ./build.sh test (the
# BuildScript Pester tests run one) sets CARP_OUT and CARP_TEST_LOGS so it never overwrites the outer run's.
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)
task=${1:-build}
shift || true
config=${CONFIGURATION:-Release}
tools=${CARP_TOOLS:-$root/.tools}
export CARP_TOOLS=$tools
artifacts=${CARP_ARTIFACTS:-$root/artifacts}
out=${CARP_OUT:-${CARPPS_OUT:-$root/out}}
logs=${CARP_TEST_LOGS:-$artifacts/test-logs}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

build() {
  dotnet build CarpPS.slnx -c "$config" --artifacts-path "$artifacts" -nologo -clp:ErrorsOnly -v:q
}

bin() { echo "$artifacts/bin/$1/${config,,}/$1"; }

# Runs one xunit.v3 test executable, keeping its output; prints a one-line summary.
run_suite() {
  local name=$1; shift
  local log="$logs/$name.log"
  local exe; exe=$(bin "$name")
  set +e
  # Default signal dispositions for the suite: a build.sh started with nohup or in the background of a script would
  # otherwise pass on ignored SIGHUP / SIGINT, and the tests that send those to carpd and pwsh would see them ignored.
  env --default-signal=HUP,INT,QUIT "$exe" -noColor "$@" >"$log" 2>&1
  local rc=$?
  set -e
  local summary; summary=$(grep -E "^\s*$name\s+Total:" "$log" | tail -1 | sed 's/^ *//')
  echo "$name: ${summary:-no summary} (exit $rc)"
  return $rc
}

# A Pester run (eng/run-pester.ps1), with the pwsh and Pester that eng/install-deps.sh installed; prints the
# same summary line. $1 names the run (its log and summary line); the rest goes to run-pester.ps1 (-Tag, -ExcludeTag).
run_pester() {
  local name=$1; shift
  local log="$logs/$name.log"
  local pester; pester=$(ls -d "$tools"/nuget/pester/*/tools/Pester.psd1 2>/dev/null | sort -V | tail -1)
  set +e
  if [ ! -x "$tools/pwsh" ] || [ -z "$pester" ]; then
    echo "pwsh or Pester is missing from $tools: run eng/install-deps.sh" >"$log"; rc=1
  else
    NO_COLOR=1 CARP_ARTIFACTS=$artifacts CONFIGURATION=$config env --default-signal=HUP,INT,QUIT "$tools/pwsh" -NoLogo -NoProfile -NonInteractive -File eng/run-pester.ps1 \
      -PesterPath "$pester" -ResultPath "$logs/$name.xml" -Name "$name" "$@" >"$log" 2>&1
    rc=$?
  fi
  set -e
  local summary; summary=$(grep -E "^\s*$name\s+Total:" "$log" | tail -1 | sed 's/^ *//')
  echo "$name: ${summary:-no summary} (exit $rc)"
  return $rc
}

case "$task" in
  build)
    build ;;
  layout)
    build
    CONFIGURATION=$config CARP_ARTIFACTS=$artifacts eng/layout.sh --from "$artifacts/bin/CarpPS/${config,,}" --out "$out" ;;
  package)
    build
    module=$(CONFIGURATION=$config CARP_ARTIFACTS=$artifacts eng/layout.sh --from "$artifacts/bin/CarpPS/${config,,}" --out "$out" | tail -n 1)
    CONFIGURATION=$config CARP_ARTIFACTS=$artifacts eng/package.sh --module "$module" --out "$out" ;;
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
    all=(Carp.Engine.Tests Carp.Architecture.Tests Carpd.Tests Carp.Network.Tests CarpPS.Tests Pester PesterBuild)
    names=()
    suites=${CARP_TEST_SUITES:-${all[*]}}
    for n in ${suites//,/ }; do
      [[ " ${all[*]} " == *" $n "* ]] || { echo "CARP_TEST_SUITES: unknown suite '$n'; the suites are ${all[*]}" >&2; exit 2; }
      [[ " ${names[*]} " == *" $n "* ]] || names+=("$n")
    done
    [ ${#names[@]} -gt 0 ] || { echo "CARP_TEST_SUITES names no suite; the suites are ${all[*]}" >&2; exit 2; }
    eng/install-deps.sh
    build
    # The PowerShell tests import exactly the module as it is laid out for installation.
    CARPPS_MODULE_DIR=$(CONFIGURATION=$config CARP_ARTIFACTS=$artifacts eng/layout.sh --from "$artifacts/bin/CarpPS/${config,,}" --out "$out" | tail -n 1)
    export CARPPS_MODULE_DIR
    # The Pester namespace scenarios start this build's carpd.
    CARPD_PATH=$(bin carpd)
    export CARPD_PATH
    mkdir -p "$logs"
    # Independent suites run side by side; each one's log is kept under $logs (artifacts/test-logs).
    # The Pester tests tagged BuildScript run build.ps1 and eng/package.sh (builds, a nested test run, the lab):
    # they run as PesterBuild after all the others, never beside the timing-sensitive network suites.
    pids=(); failed=0
    for n in "${names[@]}"; do
      case "$n" in
        Pester) run_pester Pester -ExcludeTag BuildScript & pids+=($!) ;;
        PesterBuild) ;;
        *) run_suite "$n" & pids+=($!) ;;
      esac
    done
    for p in "${pids[@]}"; do wait "$p" || failed=1; done
    if [[ " ${names[*]} " == *" PesterBuild "* ]]; then run_pester PesterBuild -Tag BuildScript || failed=1; fi
    passed=0; fails=0; skipped=0
    for n in "${names[@]}"; do
      line=$(grep -E "^\s*$n\s+Total:" "$logs/$n.log" | tail -1 || true)
      if [ -z "$line" ]; then echo "---- $n produced no summary:"; tail -40 "$logs/$n.log"; failed=1; continue; fi
      t=$(sed -E 's/.*Total: ([0-9]+).*/\1/' <<<"$line"); e=$(sed -E 's/.*Errors: ([0-9]+).*/\1/' <<<"$line")
      f=$(sed -E 's/.*Failed: ([0-9]+).*/\1/' <<<"$line"); s=$(sed -E 's/.*Skipped: ([0-9]+).*/\1/' <<<"$line")
      passed=$((passed + t - f - s)); fails=$((fails + f + e)); skipped=$((skipped + s))
      if [ "$f" != 0 ] || [ "$e" != 0 ]; then echo "---- failures in $n:"; grep -E "\[FAIL\]|\[-\]|Assert|Exception|at .*\.cs|\.ps1:[0-9]" "$logs/$n.log" | head -60; fi
      if [ "${CI:-}" = "true" ] && [ "$s" != 0 ]; then echo "---- $n skipped $s tests under CI=true:"; grep -E "\[SKIP\]|\[!\]" -A2 "$logs/$n.log" | head -20; failed=1; fi
    done
    echo "$passed passed, $fails failed, $skipped skipped"
    [ $failed = 0 ] && [ $fails = 0 ] ;;
  soak)
    eng/install-deps.sh
    build
    mkdir -p "$logs"
    # CARP_SOAK=1 makes the loss scenarios run 10 minutes each (side by side with the other fault classes).
    log="$logs/soak.log"
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
