#!/usr/bin/env bash
# The facediv test suite (README command b; .ci/run runs exactly this after installing).
# Notebooks are the tests (nbdev_test); pytest covers what spans chapters (glTF validator, CLI, the smoke
# `dvc repro` in a scratch copy, exact resume, the paper miniature before the GAN). Takes about 20 minutes on 2 CPU cores (23 min for .ci/run from a fresh clone, 2026-12-05).
set -euo pipefail
cd "$(dirname "$0")/.."
export MPLBACKEND=Agg
# One BLAS/OpenMP thread per process: nbdev_test runs two notebooks at once on two cores, and oversubscribed
# torch threads stall (a 512² torch render went from 0.1 s to 9.6 s with 2 threads under load).
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
# Files facediv keeps between runs (the photo path's scan bank) go to a scratch folder, not the user's ~/.cache.
export FACEDIV_CACHE="${FACEDIV_CACHE:-$(mktemp -d -t facediv-test-cache.XXXXXX)}"

echo "== nbdev_export: facediv/ must match nbs/"
nbdev_export
if git rev-parse --git-dir >/dev/null 2>&1 && [ -n "$(git status --porcelain -- facediv)" ]; then
  git status --porcelain -- facediv
  echo "facediv/ differs from what nbs/ exports: run nbdev_export and commit facediv/" >&2; exit 1
fi
python tools/make_readme.py --check
echo "== stored notebook outputs carry no local paths or warnings"
python tools/store_results.py --check nbs/*.ipynb
echo "== chapters' and README's results match metrics/ and hold no hand-typed result numbers"
python tools/check_results.py nbs/*.ipynb docs/*.md
echo "== dvc.yaml deps match the imports"
python tools/dvc_deps.py --check

echo "== nbdev_test: every notebook is a test"
nbdev_test --n_workers 2 --do_print --timing

if command -v npm >/dev/null 2>&1 && [ -f tools/gltf-validator/package-lock.json ] && [ ! -d tools/gltf-validator/node_modules ]; then
  echo "== npm ci: Khronos glTF-Validator"
  npm ci --prefix tools/gltf-validator --no-audit --no-fund --loglevel=error
fi

echo "== pytest"
set +e; python -m pytest -q --durations=12 tests; rc=$?; set -e
if [ $rc -eq 5 ]; then echo "pytest collected no tests"; rc=0; fi
exit $rc
