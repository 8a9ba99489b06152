"""The default run repeated under other seeds: how much each metric moves when only chance changes.

For each seed s, clones this repository (its committed HEAD) into a scratch folder, sets every stage's `seed`
in params.yaml to s (the portraits' people, the trainings' initialisations and batches, the evaluations'
samples: the whole experiment drawn again), runs the default `dvc repro` there, and keeps the run's `metrics/`
(small JSON) under bench/results/seeds/seed<s>/. The committed `metrics/` is seed 0.

`tools/check_metrics.py --derive` turns seeds 0, 1, 2, ... into per-metric tolerances (bench/results/metric_tolerances.json),
with which `tools/check_metrics.py RUN` tells a reproduction on another machine from a regression.
Each seed is a full default run (about 33 min on 2 cores). Not a test.

    python bench/seed_runs.py --seeds 1 2            # about 70 min on 2 cores
    python bench/seed_runs.py --seeds 3 --keep /tmp/seeds   # keep the clones
"""
import argparse, json, shutil, subprocess, sys, tempfile, time
from pathlib import Path

import yaml

from paper_miniature import stage_env   # the judges' model files of this checkout (a clone lacks them: git ignores them)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'tools'))
from check_metrics import SEEDS_DIR  # noqa: E402   (where check_metrics --derive reads the seeds)

def seeded_params(params:dict, seed:int) -> dict:
    "params.yaml with every stage block's `seed` set to `seed` (blocks without one are deterministic given their inputs)."
    return {k: ({**v, 'seed': seed} if isinstance(v, dict) and 'seed' in v else v) for k, v in params.items()}

def run_seed(seed:int, work:Path) -> dict:
    "Clone, reseed and `dvc repro` in `work`; the run's metrics/ copied to SEEDS_DIR/seed<seed>/. Returns a summary."
    repo = work/f'seed{seed}'
    if repo.exists(): shutil.rmtree(repo)
    subprocess.run(['git', 'clone', '-q', str(ROOT), str(repo)], check=True)
    params = yaml.safe_load((repo/'params.yaml').read_text())
    (repo/'params.yaml').write_text(yaml.safe_dump(seeded_params(params, seed), sort_keys=False))
    t0 = time.time()
    with open(work/f'seed{seed}.log', 'w') as log:
        r = subprocess.run(['dvc', 'repro'], cwd=repo, stdout=log, stderr=subprocess.STDOUT, env=stage_env())
    if r.returncode: raise SystemExit(f"seed {seed}: dvc repro failed (exit {r.returncode}); see {work/f'seed{seed}.log'}")
    dest = SEEDS_DIR/f'seed{seed}'
    if dest.exists(): shutil.rmtree(dest)
    shutil.copytree(repo/'metrics', dest)
    commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()
    summary = {'seed': seed, 'commit': commit, 'wall_s': round(time.time() - t0, 1), 'metrics': str(dest.relative_to(ROOT))}
    (dest/'RUN.json').write_text(json.dumps(summary, indent=1) + '\n')
    return summary

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--seeds', type=int, nargs='+', required=True, help='seeds to run (0 is the committed run)')
    ap.add_argument('--keep', default=None, help='clone into this folder and keep it (default: a scratch folder, removed)')
    args = ap.parse_args()
    if 0 in args.seeds: raise SystemExit('seed 0 is the committed run (metrics/): pass other seeds')
    work = Path(args.keep or tempfile.mkdtemp(prefix='facediv-seeds-')); work.mkdir(parents=True, exist_ok=True)
    for seed in args.seeds: print(json.dumps(run_seed(seed, work)), flush=True)
    if not args.keep: shutil.rmtree(work, ignore_errors=True)

if __name__ == '__main__':
    main()
