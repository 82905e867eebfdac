#!/usr/bin/env bash
# Lays the CarpPS module out as it is installed: <out>/CarpPS/<version>/ with CarpPS.dll,
# Carp.Engine.dll, Carp.Linux.dll, Carp.Control.dll, the dependency dlls (SharpPcap, PacketDotNet), CarpPS.psd1,
# CarpPS.format.ps1xml, en-US/ and the DSC resources (dsc/: CarpPS.Dsc.psm1, the root module, CarpPS.Dsc.ps1 and
# *.dsc.resource.json). build.ps1 -Task Layout does the same steps in PowerShell.
#
# usage: eng/layout.sh [--out DIR] [--artifacts DIR] [--configuration Release|Debug] [--from DIR]
#   --out            where CarpPS/<version>/ goes        (env CARPPS_OUT, default <repo>/out)
#   --artifacts      dotnet --artifacts-path of the build (env CARPPS_ARTIFACTS or CARP_ARTIFACTS,
#                    default <repo>/artifacts/layout)
#   --configuration  build configuration                (env CARPPS_CONFIGURATION or CONFIGURATION, default Release)
#   --from           do not build: take the dlls from this existing build output of src/CarpPS
# Prints the module directory on its last line.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${CARPPS_OUT:-$repo/out}
artifacts=${CARPPS_ARTIFACTS:-${CARP_ARTIFACTS:-$repo/artifacts/layout}}
configuration=${CARPPS_CONFIGURATION:-${CONFIGURATION:-Release}}
from=

while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --artifacts) artifacts=$2; shift 2 ;;
    --configuration|-c) configuration=$2; shift 2 ;;
    --from) from=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { print } /^set / { exit }' "$0"; exit 0 ;;
    *) echo "layout.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

# The one version number is CarpVersion in Directory.Build.props; the manifest must agree.
version=$(sed -n 's:.*<CarpVersion>\(.*\)</CarpVersion>.*:\1:p' "$repo/Directory.Build.props" | head -n 1)
manifest_version=$(sed -n "s/^[[:space:]]*ModuleVersion[[:space:]]*=[[:space:]]*'\([^']*\)'.*/\1/p" "$repo/CarpPS.psd1" | head -n 1)
if [ -z "$version" ]; then
  echo "layout.sh: no <CarpVersion> in Directory.Build.props" >&2; exit 1
fi
if [ "$version" != "$manifest_version" ]; then
  echo "layout.sh: CarpPS.psd1 ModuleVersion '$manifest_version' differs from CarpVersion '$version' in Directory.Build.props; make them equal." >&2
  exit 1
fi

if [ -z "$from" ]; then
  from=$(mktemp -d "${TMPDIR:-/tmp}/carpps-publish.XXXXXX")
  trap 'rm -rf "$from"' EXIT
  dotnet publish "$repo/src/CarpPS/CarpPS.csproj" -c "$configuration" --artifacts-path "$artifacts" -o "$from" --nologo -v quiet >&2
fi

for dll in CarpPS.dll Carp.Engine.dll Carp.Linux.dll Carp.Control.dll SharpPcap.dll PacketDotNet.dll; do
  if [ ! -f "$from/$dll" ]; then
    echo "layout.sh: $dll is missing from $from" >&2; exit 1
  fi
done
if [ -f "$from/System.Management.Automation.dll" ]; then
  echo "layout.sh: $from holds System.Management.Automation.dll; the module must use the one of the PowerShell that loads it." >&2; exit 1
fi

module="$out/CarpPS/$version"
rm -rf "$module"
mkdir -p "$module/en-US"
# Every dll the module needs at run time (PowerShellStandard is a compile-time reference only).
cp "$from"/*.dll "$module/"
# The native Skia and HarfBuzz libraries of ScottPlot (the failover test's pictures), for glibc Linux on x64 and arm64.
for rid in linux-x64 linux-arm64; do
  if [ -d "$from/runtimes/$rid/native" ]; then
    mkdir -p "$module/runtimes/$rid/native"
    cp "$from/runtimes/$rid/native"/*.so "$module/runtimes/$rid/native/"
  fi
done
cp "$repo/CarpPS.psd1" "$repo/CarpPS.format.ps1xml" "$module/"
# The DSC resources: the classes (a nested module), DSC v3's entry script and its resource manifests.
cp "$repo"/dsc/CarpPS.Dsc.psm1 "$repo"/dsc/CarpPS.Dsc.ps1 "$repo"/dsc/*.dsc.resource.json "$module/"
cp "$repo"/en-US/* "$module/en-US/"
echo "$module"
