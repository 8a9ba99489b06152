#!/usr/bin/env bash
# Build the documentation site into site/ (git-ignored) from mkdocs.yml: docs/*.md + the nbdev chapters in nbs/
# (rendered with their stored outputs) + figures from plots/ + metric tables from metrics/*.json.
#   tools/build_docs.sh          # build site/
#   tools/build_docs.sh serve    # live preview on http://127.0.0.1:8000
# Needs the `docs` extra: mkdocs==1.6.1 mkdocs-material==9.8.2 mkdocs-jupyter==0.26.3.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! python -c "import mkdocs, material, mkdocs_jupyter" 2>/dev/null; then
  echo "build_docs: mkdocs, mkdocs-material or mkdocs-jupyter is missing; fix: pip install -e '.[docs]'" >&2; exit 1
fi
if [ "${1:-}" = serve ]; then NO_MKDOCS_2_WARNING=1 exec mkdocs serve -f mkdocs.yml; fi
start=$(date +%s)
NO_MKDOCS_2_WARNING=1 mkdocs build -f mkdocs.yml --clean --site-dir site 2>&1 | grep -v -E "^INFO +- +(Converting|Cache|Copied)" || true
test -f site/index.html || { echo "build_docs: no site/index.html was written" >&2; exit 1; }
echo "build_docs: site/ built in $(( $(date +%s) - start )) s ($(find site -name '*.html' | wc -l) pages)"
