#!/usr/bin/env bash
# Packs the laid-out module into a PowerShell Gallery-shaped nupkg: a zip with CarpPS.nuspec,
# [Content_Types].xml, _rels/.rels and the module files at its root (what Publish-Module uploads).
# build.ps1 -Task Package does the same in PowerShell.
#
# usage: eng/package.sh [--module DIR] [--out DIR] [layout.sh options]
#   --module  a laid-out module directory (.../CarpPS/<version>); without it eng/layout.sh runs first
#   --out     where CarpPS.<version>.nupkg goes (env CARPPS_OUT, default <repo>/out)
# Prints the package path on its last line.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${CARPPS_OUT:-$repo/out}
module=
layout_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --module) module=$2; shift 2 ;;
    --out) out=$2; layout_args+=(--out "$2"); shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { print } /^set / { exit }' "$0"; exit 0 ;;
    *) layout_args+=("$1"); shift ;;
  esac
done

if [ -z "$module" ]; then
  module=$("$repo/eng/layout.sh" "${layout_args[@]}" | tail -n 1)
fi
manifest="$module/CarpPS.psd1"
if [ ! -f "$manifest" ]; then
  echo "package.sh: no CarpPS.psd1 in $module" >&2; exit 1
fi

xml_escape() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g'; }
# A single-quoted value of the manifest: Key = 'value'
psd1_value() { sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*'\(.*\)'[[:space:]]*\$/\1/p" "$manifest" | head -n 1 | sed "s/''/'/g"; }

version=$(psd1_value ModuleVersion)
description=$(psd1_value Description | xml_escape)
authors=$(psd1_value Author | xml_escape)
copyright=$(psd1_value Copyright | xml_escape)
cmdlets=$(sed -n '/CmdletsToExport/,/)/p' "$manifest" | grep -o "'[A-Za-z]*-[A-Za-z]*'" | tr -d "'")
tags=$(sed -n 's/.*Tags[[:space:]]*=[[:space:]]*@(\(.*\)).*/\1/p' "$manifest" | tr -d "'," )
release_notes=$(sed -n "/ReleaseNotes[[:space:]]*=[[:space:]]*@'/,/^'@/p" "$manifest" | sed '1d;$d' | xml_escape)
for cmdlet in $cmdlets; do
  tags="$tags PSCmdlet_$cmdlet PSCommand_$cmdlet"
done
for resource in $(sed -n 's/.*DscResourcesToExport[[:space:]]*=[[:space:]]*@(\(.*\)).*/\1/p' "$manifest" | tr -d "',"); do
  tags="$tags PSDscResource_$resource"
done
tags="$tags PSModule PSIncludes_Cmdlet PSIncludes_DscResource"

staging=$(mktemp -d "${TMPDIR:-/tmp}/carpps-package.XXXXXX")
trap 'rm -rf "$staging"' EXIT
cp -r "$module"/. "$staging/"
cat > "$staging/CarpPS.nuspec" <<NUSPEC
<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2011/08/nuspec.xsd">
  <metadata>
    <id>CarpPS</id>
    <version>$version</version>
    <authors>$authors</authors>
    <owners>$authors</owners>
    <requireLicenseAcceptance>false</requireLicenseAcceptance>
    <description>$description</description>
    <releaseNotes>$release_notes</releaseNotes>
    <copyright>$copyright</copyright>
    <tags>$(echo $tags)</tags>
  </metadata>
</package>
NUSPEC
# The OPC parts every nupkg has (the same files build.ps1 uses).
cp -r "$repo/eng/package/." "$staging/"

mkdir -p "$out"
package="$(cd "$out" && pwd)/CarpPS.$version.nupkg"
rm -f "$package"
if command -v zip >/dev/null 2>&1; then
  (cd "$staging" && zip -q -X -r "$package" .)
else
  (cd "$staging" && python3 -m zipfile -c "$package" ./*)
fi
echo "$package"
