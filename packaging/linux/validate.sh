#!/usr/bin/env bash
# Checks the Linux desktop integration files and the icon renderings:
#   - io.fluxdb.Studio.desktop with desktop-file-validate (errors and warnings fail; hints pass)
#   - io.fluxdb.Studio.metainfo.xml with appstreamcli validate --no-net (errors and warnings fail)
#   - io.fluxdb.Studio.mime.xml is well-formed and maps *.fdb to application/x-fluxdb-collection
#     (checked with update-mime-database in a scratch folder when that tool is present)
#   - the desktop file, metainfo and icon agree on the app id
#   - every assets/icon/png/fluxdb-studio-<N>.png exists and is a PNG of exactly N x N
#   - the Windows .ico holds 16 to 256 and the macOS .icns 16 to 512 (the packaging scripts use them)
# Installs nothing. A missing required tool is reported with the Debian package that has it,
# and counts as a failure so that a green run always means the checks really ran.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
app_id="io.fluxdb.Studio"
desktop_file="$here/$app_id.desktop"
metainfo_file="$here/$app_id.metainfo.xml"
mime_file="$here/$app_id.mime.xml"
icon_dir="$repo_root/assets/icon"
icon_sizes=(16 24 32 48 64 128 256 512)

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok:   $*"; }

# Reports a missing tool with its Debian package; returns non-zero when absent.
need_tool() {
    local tool="$1" package="$2"
    if command -v "$tool" >/dev/null 2>&1; then return 0; fi
    fail "$tool is not installed, so this check did not run (Debian: apt-get install $package)"
    return 1
}

for file in "$desktop_file" "$metainfo_file" "$mime_file" "$icon_dir/fluxdb-studio.svg" "$icon_dir/fluxdb-studio-small.svg"; do
    [[ -f "$file" ]] || fail "missing file $file"
done

# --- desktop entry ---
if need_tool desktop-file-validate desktop-file-utils && [[ -f "$desktop_file" ]]; then
    output="$(desktop-file-validate "$desktop_file" 2>&1)"
    status=$?
    [[ -n "$output" ]] && echo "$output"
    if (( status != 0 )) || grep -qE ': (error|warning):' <<<"$output"; then
        fail "desktop-file-validate reported problems in $(basename "$desktop_file")"
    else
        pass "desktop-file-validate $(basename "$desktop_file")"
    fi
fi

# --- AppStream metainfo ---
if need_tool appstreamcli appstream && [[ -f "$metainfo_file" ]]; then
    output="$(appstreamcli validate --no-net --pedantic "$metainfo_file" 2>&1)"
    status=$?
    echo "$output"
    if (( status != 0 )) || grep -qE '^(E|W):' <<<"$output"; then
        fail "appstreamcli reported errors or warnings in $(basename "$metainfo_file")"
    else
        pass "appstreamcli validate --no-net $(basename "$metainfo_file")"
    fi
fi

# --- python3 checks: XML, id agreement, PNG sizes ---
if need_tool python3 python3; then
    python3 - "$app_id" "$desktop_file" "$metainfo_file" "$mime_file" "$icon_dir" "${icon_sizes[@]}" <<'PY'
import os
import re
import struct
import sys
import xml.etree.ElementTree as ET

app_id, desktop_file, metainfo_file, mime_file, icon_dir = sys.argv[1:6]
sizes = [int(s) for s in sys.argv[6:]]
failures = 0


def fail(message):
    global failures
    failures += 1
    print(f"FAIL: {message}", file=sys.stderr)


def ok(message):
    print(f"ok:   {message}")


def png_size(path):
    """Width and height from the IHDR chunk, which the PNG format requires to come first."""
    with open(path, "rb") as f:
        head = f.read(24)
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise ValueError("not a PNG file (bad signature or no IHDR chunk first)")
    return struct.unpack(">II", head[16:24])


# The desktop entry's keys that tie it to the metainfo and the installed icon.
desktop = {}
try:
    with open(desktop_file, encoding="utf-8") as f:
        for line in f:
            if "=" in line and not line.startswith("#"):
                key, value = line.rstrip("\n").split("=", 1)
                desktop[key] = value
except OSError as e:
    fail(f"cannot read {desktop_file}: {e}")
if desktop.get("Icon") != app_id:
    fail(f"desktop Icon={desktop.get('Icon')!r}, expected {app_id!r} (the name the icons install under)")
elif "application/x-fluxdb-collection" not in desktop.get("MimeType", "").split(";"):
    fail("desktop MimeType does not list application/x-fluxdb-collection")
else:
    ok("desktop entry names icon and MIME type consistently")

try:
    root = ET.parse(metainfo_file).getroot()
    launchable = root.findtext("launchable")
    if root.findtext("id") != app_id:
        fail(f"metainfo <id> is {root.findtext('id')!r}, expected {app_id!r}")
    elif launchable != os.path.basename(desktop_file):
        fail(f"metainfo <launchable> is {launchable!r}, expected {os.path.basename(desktop_file)!r}")
    else:
        ok("metainfo id and launchable match the desktop file")
except (OSError, ET.ParseError) as e:
    fail(f"cannot parse {metainfo_file}: {e}")

ns = "{http://www.freedesktop.org/standards/shared-mime-info}"
try:
    mime_root = ET.parse(mime_file).getroot()
    globs = {
        (t.get("type"), g.get("pattern"))
        for t in mime_root.iter(f"{ns}mime-type")
        for g in t.iter(f"{ns}glob")
    }
    if ("application/x-fluxdb-collection", "*.fdb") in globs:
        ok("MIME definition maps *.fdb to application/x-fluxdb-collection")
    else:
        fail(f"{mime_file} does not map *.fdb to application/x-fluxdb-collection")
except (OSError, ET.ParseError) as e:
    fail(f"cannot parse {mime_file}: {e}")

png_dir = os.path.join(icon_dir, "png")
for size in sizes:
    path = os.path.join(png_dir, f"fluxdb-studio-{size}.png")
    if not os.path.isfile(path):
        fail(f"missing icon {path}")
        continue
    try:
        width, height = png_size(path)
    except (OSError, ValueError) as e:
        fail(f"{path}: {e}")
        continue
    if (width, height) != (size, size):
        fail(f"{path} is {width}x{height}, its name says {size}x{size}")
    else:
        ok(f"icon fluxdb-studio-{size}.png is {width}x{height}")

# Any other rendering in the folder must also match the size in its name.
for name in sorted(os.listdir(png_dir)) if os.path.isdir(png_dir) else []:
    match = re.fullmatch(r"fluxdb-studio-(\d+)\.png", name)
    if match is None:
        fail(f"unexpected file {os.path.join(png_dir, name)} (expected fluxdb-studio-<N>.png)")
    elif int(match.group(1)) not in sizes:
        try:
            width, height = png_size(os.path.join(png_dir, name))
        except (OSError, ValueError) as e:
            fail(f"{name}: {e}")
            continue
        n = int(match.group(1))
        if (width, height) != (n, n):
            fail(f"{name} is {width}x{height}, its name says {n}x{n}")

# The Windows and macOS icons: every size the packaging scripts promise is in them.
def ico_sizes(path):
    """Entry sizes from the ICONDIR header (0 in a size byte means 256)."""
    with open(path, "rb") as f:
        data = f.read()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    if reserved != 0 or kind != 1 or len(data) < 6 + 16 * count:
        raise ValueError("not an .ico file")
    return sorted({data[6 + 16 * i] or 256 for i in range(count)})


ICNS_TYPES = {b"is32": 16, b"il32": 32, b"ih32": 48, b"it32": 128, b"ic08": 256, b"ic09": 512,
              b"icp4": 16, b"icp5": 32, b"ic07": 128, b"ic10": 1024}


def icns_sizes(path):
    """Sizes of the image elements, walking the (type, length) element list."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"icns" or struct.unpack(">I", data[4:8])[0] != len(data):
        raise ValueError("not an .icns file (bad magic or length)")
    sizes, at = set(), 8
    while at + 8 <= len(data):
        kind, length = data[at:at + 4], struct.unpack(">I", data[at + 4:at + 8])[0]
        if length < 8:
            raise ValueError(f"element {kind!r} has length {length}")
        if kind in ICNS_TYPES:
            sizes.add(ICNS_TYPES[kind])
        at += length
    return sorted(sizes)


for name, reader, wanted in (("fluxdb-studio.ico", ico_sizes, [16, 24, 32, 48, 64, 128, 256]),
                             ("fluxdb-studio.icns", icns_sizes, [16, 32, 48, 128, 256, 512])):
    path = os.path.join(icon_dir, name)
    try:
        found = reader(path)
    except (OSError, ValueError, struct.error) as e:
        fail(f"{path}: {e}")
        continue
    missing = [size for size in wanted if size not in found]
    if missing:
        fail(f"{name} lacks sizes {missing} (has {found}); run packaging/render-icons.sh")
    else:
        ok(f"icon {name} holds {found}")

sys.exit(1 if failures else 0)
PY
    (( $? == 0 )) || failures=$((failures + 1))
fi

# --- shared-mime-info compiles the definition (optional: only where the tool is installed) ---
if command -v update-mime-database >/dev/null 2>&1; then
    scratch="$(mktemp -d)"
    mkdir -p "$scratch/mime/packages"
    cp "$mime_file" "$scratch/mime/packages/$app_id.xml"
    # XDG_DATA_DIRS names the scratch folder so the tool does not warn that it is off the search path.
    if output="$(XDG_DATA_DIRS="$scratch" XDG_DATA_HOME="$scratch" update-mime-database "$scratch/mime" 2>&1)" \
        && ! grep -qiE 'error|warning|invalid' <<<"$output" \
        && grep -q '^application/x-fluxdb-collection:\*\.fdb$' "$scratch/mime/globs"; then
        pass "update-mime-database accepts $(basename "$mime_file")"
    else
        [[ -n "$output" ]] && echo "$output"
        fail "update-mime-database rejected $(basename "$mime_file") or did not register *.fdb"
    fi
    rm -rf "$scratch"
else
    echo "note: update-mime-database not installed (Debian: shared-mime-info); skipped compiling the MIME definition"
fi

if (( failures > 0 )); then
    echo "validate.sh: FAILED (see the FAIL lines above)" >&2
    exit 1
fi
echo "validate.sh: all checks passed"
