#!/usr/bin/env bash
# Install facediv with the extras named in $1 (e.g. `dev,diffusion`), plus MediaPipe for reconstruction.
# MediaPipe 0.10.21 is the last release whose wheel ships its face-mesh models (offline); its metadata
# pins numpy<2, but the face-mesh path runs with numpy 2, so it is installed with --no-deps after its
# real runtime dependencies (the `recon` extra). `pip check` will list its unused declared extras.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="recon${1:+,$1}"
pip install -e ".[${extras}]"
pip install --no-deps mediapipe==0.10.21
