#!/usr/bin/env bash
# Regenerates assets/icon/png/fluxdb-studio-<N>.png from the icon SVGs.
# Sizes up to SMALL_MAX use the simplified small-size drawing, which stays legible at 16 px;
# larger sizes use the full drawing. Needs rsvg-convert (Debian: librsvg2-bin).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
icon_dir="$repo_root/assets/icon"
out_dir="$icon_dir/png"
full_svg="$icon_dir/fluxdb-studio.svg"
small_svg="$icon_dir/fluxdb-studio-small.svg"
sizes=(16 24 32 48 64 128 256 512)
SMALL_MAX=32

if ! command -v rsvg-convert >/dev/null 2>&1; then
    echo "render-icons: rsvg-convert not found; install it with: apt-get install librsvg2-bin" >&2
    exit 1
fi
for svg in "$full_svg" "$small_svg"; do
    [[ -f "$svg" ]] || { echo "render-icons: missing $svg" >&2; exit 1; }
done

mkdir -p "$out_dir"
for size in "${sizes[@]}"; do
    if (( size <= SMALL_MAX )); then svg="$small_svg"; else svg="$full_svg"; fi
    out="$out_dir/fluxdb-studio-$size.png"
    rsvg-convert --width "$size" --height "$size" --keep-aspect-ratio "$svg" --output "$out"
    echo "rendered $out from $(basename "$svg")"
done

# Windows: one .ico with every size up to 256 (the largest an .ico entry holds).
# macOS: one .icns (png2icns takes 16, 32, 48, 128, 256 and 512).
# Needs ImageMagick's convert and icnsutils' png2icns.
for tool in convert png2icns; do
    command -v "$tool" >/dev/null 2>&1 || { echo "render-icons: $tool not found (Debian: imagemagick, icnsutils)" >&2; exit 1; }
done
convert "$out_dir"/fluxdb-studio-{16,24,32,48,64,128,256}.png "$icon_dir/fluxdb-studio.ico"
echo "rendered $icon_dir/fluxdb-studio.ico"
png2icns "$icon_dir/fluxdb-studio.icns" "$out_dir"/fluxdb-studio-{16,32,48,128,256,512}.png >/dev/null
echo "rendered $icon_dir/fluxdb-studio.icns"
