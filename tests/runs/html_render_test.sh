#!/usr/bin/env bash
# Opens a report's HTML page in headless Chromium, takes a screenshot, and checks that the plots
# rendered: the page is not blank and the run colours of the SVG plots are on screen.
# Exit 77 (skipped) when Chromium is not installed; scripts/install-deps.sh installs it.
set -euo pipefail
CLINSIM="$1"
CHROMIUM="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$CHROMIUM" ]; then echo "chromium not installed: skipped"; exit 77; fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
"$CLINSIM" bench --case cardiology_inferior_stemi,neurology_myasthenia_gravis,dermatology_cellulitis \
  --seeds 2 --run-dir "$WORK/a" > /dev/null
"$CLINSIM" bench --doctor random --case cardiology_inferior_stemi,neurology_myasthenia_gravis,dermatology_cellulitis \
  --seeds 2 --run-dir "$WORK/b" > /dev/null
"$CLINSIM" report "$WORK/a" "$WORK/b" --html "$WORK/report.html" > /dev/null
timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$WORK/profile" --window-size=1200,900 --screenshot="$WORK/shot.png" \
  "file://$WORK/report.html" > "$WORK/chromium.log" 2>&1 || true
[ -s "$WORK/shot.png" ] || { echo "no screenshot"; cat "$WORK/chromium.log"; exit 1; }
/usr/bin/python3 - "$WORK/shot.png" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w, h, ctype = 8, b"", 0, 0, 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        assert depth == 8, depth
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
bpp = {2: 3, 6: 4}[ctype]
raw = zlib.decompress(idat)
stride = w * bpp
rows, prev, i = [], bytearray(stride), 0
for _ in range(h):
    f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line); prev = line
nonwhite, colours = 0, set()
for line in rows:
    for x in range(0, stride, bpp):
        px = tuple(line[x:x + 3])
        if px != (255, 255, 255): nonwhite += 1
        colours.add(px)
blue, red = (0x1f, 0x77, 0xb4), (0xd6, 0x27, 0x28)  # the first two run colours of the plots
near = lambda p, q: all(abs(u - v) <= 12 for u, v in zip(p, q))
has_blue = any(near(c, blue) for c in colours)
has_red = any(near(c, red) for c in colours)
print(f"screenshot {w}x{h}: {nonwhite} non-white pixels, {len(colours)} colours, blue={has_blue} red={has_red}")
assert nonwhite > 2000, "the page looks blank"
assert has_blue and has_red, "the plot points of both runs are not on screen"
PY
echo "html render test passed"
