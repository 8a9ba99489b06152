"""Peak memory of the `filter` stage as the dataset grows: 1k and 4k faces, this code beside a baseline revision.

The 4k-face input is the default run's `data/complete` listed four times (hard links, no copies), so both sizes
hold real completed faces. Each run is the stage's own command line in a fresh process; its peak RSS comes
from `wait4`. A memory that does not grow with the dataset shows as the same peak at 1k and 4k.

    python bench/filter_memory.py [--faces 1000 4000] [--baseline HEAD~1] [--out bench/results/filter_memory.json]
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def replicated_input(src:Path, n_faces:int, dest:Path) -> Path:
    "A `complete` output folder with `n_faces` faces: `src`'s shards listed over and over (hard links)."
    manifest = json.loads((src/'manifest.json').read_text())
    if n_faces % manifest['n_items']: raise SystemExit(f"--faces must be multiples of {manifest['n_items']} (the faces in {src})")
    dest.mkdir(parents=True, exist_ok=True)
    shards = []
    for copy in range(n_faces // manifest['n_items']):
        for entry in manifest['shards']:
            name = f"shard_{len(shards):04d}.npz"
            if not (dest/name).exists(): os.link(src/entry['file'], dest/name)
            shards.append({**entry, 'file': name})
    (dest/'manifest.json').write_text(json.dumps({**manifest, 'n_items': n_faces, 'shards': shards}))
    return dest

def run_filter(code:Path, completed:Path, out:Path) -> dict:
    "Run `python -m facediv.filter` from the checkout at `code`: wall seconds and peak RSS (MB)."
    shutil.rmtree(out, ignore_errors=True); out.mkdir(parents=True)
    cmd = [sys.executable, '-m', 'facediv.filter', '--params', str(ROOT/'params.yaml'), '--completed_dir', str(completed),
           '--out_dir', str(out/'filter'), '--metrics_path', str(out/'filter.json'), '--plot_path', str(out/'rejections.png')]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=code, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, 'PYTHONPATH': str(code)})
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status): raise SystemExit(f"filter failed in {code}:\n{err.decode()[-3000:]}")
    kept = json.loads((out/'filter.json').read_text())['n_kept']
    return {'seconds': round(time.perf_counter() - t0, 1), 'peak_rss_mb': round(usage.ru_maxrss / 1024), 'kept': kept}

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--faces', type=int, nargs='+', default=[1000, 4000])
    ap.add_argument('--baseline', default='', help='git revision to compare with (e.g. HEAD~1); empty = this code only')
    ap.add_argument('--completed_dir', default=str(ROOT/'data'/'complete'))
    ap.add_argument('--out', default=str(ROOT/'bench'/'results'/'filter_memory.json'))
    args = ap.parse_args()
    results = {'input': 'data/complete of the default run, listed n/1000 times', 'runs': {}}
    with tempfile.TemporaryDirectory(dir=ROOT/'data') as tmp:   # same file system as data/complete: hard links work
        tmp = Path(tmp)
        codes = {'this': ROOT}
        if args.baseline:
            subprocess.run(['git', 'worktree', 'add', '-q', '--detach', str(tmp/'baseline'), args.baseline], cwd=ROOT, check=True)
            codes[f'baseline {args.baseline}'] = tmp/'baseline'
        try:
            for n in args.faces:
                completed = replicated_input(Path(args.completed_dir), n, tmp/f'complete_{n}')
                for name, code in codes.items():
                    r = run_filter(code, completed, tmp/'out')
                    results['runs'].setdefault(name, {})[str(n)] = r
                    print(f"{name:24s} {n:6d} faces: {r['seconds']:6.1f} s, peak RSS {r['peak_rss_mb']:6d} MB, kept {r['kept']}", flush=True)
        finally:
            if args.baseline: subprocess.run(['git', 'worktree', 'remove', '--force', str(tmp/'baseline')], cwd=ROOT)
    for name, runs in results['runs'].items():
        sizes = sorted(runs, key=int)
        results['runs'][name]['rss_growth'] = round(runs[sizes[-1]]['peak_rss_mb'] / runs[sizes[0]]['peak_rss_mb'], 2)
    Path(args.out).write_text(json.dumps(results, indent=2) + '\n')
    print(f"wrote {args.out}")

if __name__ == '__main__': main()
