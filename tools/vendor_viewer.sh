#!/usr/bin/env bash
# Vendor the three.js files the browser viewer (facediv.viewer, nbs/20_viewer.ipynb) loads, so `facediv view`
# needs no network or CDN at run time. Run once when bumping three.js; commit facediv/viewer_static/vendor/three/.
#   tools/vendor_viewer.sh            # the pinned version below
#   tools/vendor_viewer.sh 0.188.0    # another version (then update THREE_VERSION and retest tests/test_viewer.py)
set -euo pipefail
THREE_VERSION="${1:-0.187.0}"
cd "$(dirname "$0")/.."
dest=facediv/viewer_static/vendor/three
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm init -y >/dev/null && npm install --no-audit --no-fund --ignore-scripts "three@${THREE_VERSION}" >/dev/null)
src="$work/node_modules/three"
# three.module.js imports ./three.core.js; the addons import 'three' (mapped by the page's import map) and each other.
files=(build/three.module.js build/three.core.js
       examples/jsm/loaders/GLTFLoader.js examples/jsm/controls/OrbitControls.js
       examples/jsm/utils/BufferGeometryUtils.js examples/jsm/utils/SkeletonUtils.js
       examples/jsm/environments/RoomEnvironment.js examples/jsm/lights/LightProbeGenerator.js LICENSE)
rm -rf "$dest"; mkdir -p "$dest/addons"
{
  echo "# three.js files vendored for the facediv viewer"
  echo
  echo "- package: three@${THREE_VERSION} from the npm registry (npm install three@${THREE_VERSION}), MIT License (LICENSE here)"
  echo "- integrity (npm): $(node -p "require('$work/node_modules/.package-lock.json').packages['node_modules/three'].integrity")"
  echo "- copied by tools/vendor_viewer.sh; build/* → ./, examples/jsm/* → addons/ (the layout of the 'three/addons/' import map entry)"
  echo "- unmodified; sha256 of each file:"
  echo
} > "$dest/PROVENANCE.md"
for f in "${files[@]}"; do
  case "$f" in build/*) out="$dest/$(basename "$f")";; examples/jsm/*) out="$dest/addons/${f#examples/jsm/}";; *) out="$dest/$f";; esac
  mkdir -p "$(dirname "$out")"; cp "$src/$f" "$out"
  echo "      $(sha256sum "$out" | cut -c1-64)  ${out#$dest/}" >> "$dest/PROVENANCE.md"
done
echo "vendored three@${THREE_VERSION} into $dest ($(du -sh "$dest" | cut -f1))"
