"""Thread pools of shard workers: two workers on two cores, each with the default pools against one thread each.

`core.run_shards` spreads a stage's shards over spawned worker processes. Left at their defaults, each worker's
BLAS, OpenMP and torch pools take every core, so two workers run four threads on two cores. Now each worker gets
cores ÷ workers threads. This runs two shards of the committed run at once, as two workers would. It does this
for `portraits` and `reconstruct`, once with the default pools and once with one thread per process, alternating
the order over the rounds. The written shards are compared byte for byte.

    python bench/shard_threads.py [--rounds 2] [--out bench/results/shard_threads.json]
    python bench/shard_threads.py --estimate_only     # only the per-run saving, from an existing --out
"""
import argparse, datetime, filecmp, json, os, platform, shutil, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ONE_THREAD = {'OMP_NUM_THREADS': '1', 'OPENBLAS_NUM_THREADS': '1', 'MKL_NUM_THREADS': '1'}

# One shard of a stage, with the stage's own function and the committed inputs; argv: shard index, output folder.
SHARD_CODE = {
    'portraits': """
import sys
from facediv import portraits as P
from facediv.core import load_params
from facediv.taxonomy import sampling_plan
cfg = load_params('portraits', P.PORTRAITS_SCHEMA, 'params.yaml')
P.portrait_shard(cfg, sampling_plan(cfg.n_faces, cfg.seed), None, sys.argv[2], int(sys.argv[1]))
""",
    'reconstruct': """
import sys
from facediv import reconstruct as R
cfg = R.load_params('reconstruct', R.RECONSTRUCT_SCHEMA, 'params.yaml')
R.reconstruct_shard(cfg, 'data/portraits', sys.argv[2], int(sys.argv[1]))
""",
}

def two_workers(stage:str, out:Path, one_thread:bool) -> float:
    "Wall seconds of shards 0 and 1 of `stage` made at once by two processes (default pools, or one thread each)."
    env = {k: v for k, v in os.environ.items() if k not in ONE_THREAD}
    if one_thread: env.update(ONE_THREAD)
    t0 = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, '-c', SHARD_CODE[stage], str(k), str(out)], cwd=ROOT, env=env) for k in (0, 1)]
    if any(p.wait() for p in procs): raise SystemExit(f"{stage}: a shard process failed")
    return time.perf_counter() - t0

def same_shards(a:Path, b:Path) -> bool:
    "Both folders hold the same shard files, byte for byte."
    names = sorted(p.name for p in a.glob('shard_*.npz'))
    return names == sorted(p.name for p in b.glob('shard_*.npz')) and all(filecmp.cmp(a/n, b/n, shallow=False) for n in names)

def per_run_saving(result:dict) -> dict:
    "Seconds a default run saves per stage: the pair's saving times the stage's shards / 2 (two workers)."
    shards = {'portraits': 'data/portraits', 'reconstruct': 'data/reconstruct'}
    saved = {}
    for stage, row in result['stages'].items():
        n = len(json.loads((ROOT/shards[stage]/'manifest.json').read_text())['shards'])
        saved[stage] = round((row['best_s']['default_threads'] - row['best_s']['one_thread']) * n / 2, 1)
    return {'per_stage_s': saved, 'total_s': round(sum(saved.values()), 1)}

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--rounds', type=int, default=2)
    ap.add_argument('--out', default=str(ROOT/'bench'/'results'/'shard_threads.json'))
    ap.add_argument('--estimate_only', action='store_true', help='recompute only the per-run saving of an existing --out')
    args = ap.parse_args()
    if args.estimate_only:
        result = json.loads(Path(args.out).read_text()); result['saved_per_run'] = per_run_saving(result)
        Path(args.out).write_text(json.dumps(result, indent=1) + '\n'); print(json.dumps(result['saved_per_run'])); return
    result = {'what': __doc__.split('\n\n')[0], 'date': datetime.date.today().isoformat(),
              'machine': f"{platform.machine()}, {os.cpu_count()} cores", 'rounds': args.rounds, 'stages': {}}
    with tempfile.TemporaryDirectory() as tmp:
        for stage in SHARD_CODE:
            seconds = {'default_threads': [], 'one_thread': []}
            for r in range(args.rounds):
                for one in ((False, True) if r % 2 == 0 else (True, False)):
                    key = 'one_thread' if one else 'default_threads'
                    out = Path(tmp)/stage/key
                    shutil.rmtree(out, ignore_errors=True)
                    seconds[key].append(round(two_workers(stage, out, one), 2))
                    print(f"{stage} {key}: {seconds[key][-1]} s", file=sys.stderr)
            best = {k: min(v) for k, v in seconds.items()}
            result['stages'][stage] = {'two_shards_wall_s': seconds, 'best_s': best,
                                       'speedup': round(best['default_threads'] / best['one_thread'], 3),
                                       'same_bytes': same_shards(Path(tmp)/stage/'default_threads', Path(tmp)/stage/'one_thread')}
    result['saved_per_run'] = per_run_saving(result)
    Path(args.out).write_text(json.dumps(result, indent=1) + '\n')
    print(json.dumps(result, indent=1))

if __name__ == '__main__': main()
