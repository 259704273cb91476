#!/usr/bin/env bash
# Draws build/appicon.png (512×512): three little boxes, stacked, on a dark
# rounded tile. Needs ImageMagick. The mark matches frontend/src/components/Logo.tsx.
set -euo pipefail
out="${1:-$(dirname "$0")/appicon.png}"
convert -size 512x512 xc:none \
  -fill '#141a24' -stroke '#2f3a4c' -strokewidth 6 -draw 'roundrectangle 20,20 492,492 104,104' \
  -stroke none \
  -fill '#f5a524' -draw 'roundrectangle 174,113 316,245 28,28' \
  -fill '#2dd4bf' -draw 'roundrectangle 102,267 245,399 28,28' \
  -fill '#a78bfa' -draw 'roundrectangle 267,267 410,399 28,28' \
  -stroke 'rgba(15,20,28,0.35)' -strokewidth 11 \
  -draw 'line 174,162 316,162' -draw 'line 102,316 245,316' -draw 'line 267,316 410,316' \
  -depth 8 -strip -define png:exclude-chunks=date,time "$out"
