"""One stage's wall time under an earlier commit's code against this working tree's, side by side on the same inputs.

For a change that must leave a stage's outputs alone and only make it faster, when no smaller piece can be timed on
its own (here: `evaluate`'s threads). The earlier code runs from a git worktree of `--base`; each side runs the
stage's own command line (from dvc.yaml) as a fresh process with every output redirected to a scratch folder, old
and new interleaved (A B A B ...) on this checkout's inputs. The face judges' model files (git-ignored) come from
this checkout for both sides. The outputs of the two sides are compared file by file in every round, as
`tools/compare_runs.py` compares two runs (JSON without its timing fields, images pixel by pixel).

    python bench/stage_ab.py evaluate --base HEAD [--rounds 2] [--out bench/results/stage_ab_evaluate.json]
    python bench/stage_ab.py evaluate --base HEAD --collect /tmp/ab   # only summarise the runs already in /tmp/ab
"""
import argparse, datetime, json, os, platform, shlex, subprocess, sys
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'tools'))
from compare_runs import compare_file  # noqa: E402

def stage_command(stage:str, scratch:Path) -> list:
    "The stage's dvc.yaml command, inputs as absolute paths into this checkout and its outputs under `scratch`."
    spec = yaml.safe_load((ROOT/'dvc.yaml').read_text())['stages'][stage]
    outs = {next(iter(o)) if isinstance(o, dict) else o for key in ('outs', 'metrics', 'plots') for o in spec.get(key, [])}
    args = shlex.split(' '.join(spec['cmd'].split()))
    return [str(scratch/a) if a in outs else (str(ROOT/a) if (ROOT/a).exists() else a) for a in args]

def run_side(code_root:Path, stage:str, scratch:Path) -> dict:
    "Run the stage with the package at `code_root`: wall and CPU seconds (/usr/bin/time)."
    scratch.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, 'PYTHONPATH': str(code_root), 'FACEDIV_JUDGE_MODELS': str(ROOT/'tools/judge/human-models/models')}
    with open(scratch/'log.txt', 'w') as log:
        subprocess.run(['/usr/bin/time', '-f', '%e %U %S', '-o', str(scratch/'time.txt')] + stage_command(stage, scratch),
                       cwd=scratch, env=env, stdout=log, stderr=subprocess.STDOUT, check=True)
    return read_time(scratch)

def read_time(scratch:Path) -> dict:
    wall, user, system = map(float, (scratch/'time.txt').read_text().split())
    return {'wall_s': wall, 'cpu_s': round(user + system, 2)}

def same_outputs(a:Path, b:Path) -> list:
    "Files that differ between two sides' scratch folders beyond timings (`tools/compare_runs.compare_file`); [] when none."
    files = sorted(p for p in a.rglob('*') if p.is_file() and p.name not in ('log.txt', 'time.txt'))
    return [str(f.relative_to(a)) for f in files
            if compare_file(f, b/f.relative_to(a), a, b) not in ('same', 'same but timings')]

def summarise(stage:str, base:str, scratch:Path, rounds:int) -> dict:
    rows = [{'old': read_time(scratch/f'old{r}'), 'new': read_time(scratch/f'new{r}'),
             'differing_outputs': same_outputs(scratch/f'old{r}', scratch/f'new{r}')} for r in range(1, rounds + 1)]
    old, new = (float(np.median([r[side]['wall_s'] for r in rows])) for side in ('old', 'new'))
    return {'what': __doc__.split('\n\n')[0], 'date': datetime.date.today().isoformat(), 'machine': f'{platform.machine()}, {os.cpu_count()} cores',
            'stage': stage, 'base': base, 'rounds': rows, 'old_median_s': old, 'new_median_s': new, 'speedup': round(old / new, 3),
            'saved_s': round(old - new, 1), 'same_outputs': not any(r['differing_outputs'] for r in rows)}

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('stage')
    ap.add_argument('--base', default='HEAD', help='the commit whose code is "old"')
    ap.add_argument('--rounds', type=int, default=2)
    ap.add_argument('--scratch', default='/tmp/stage_ab')
    ap.add_argument('--collect', default='', help='summarise the runs already in this folder (old1, new1, ...) instead of running')
    ap.add_argument('--out', default='')
    args = ap.parse_args(argv)
    base = subprocess.run(['git', 'rev-parse', '--short', args.base], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    scratch = Path(args.collect or args.scratch)
    if not args.collect:
        worktree = scratch/'base'
        subprocess.run(['git', 'worktree', 'add', '-f', '--detach', str(worktree), base], cwd=ROOT, check=True, capture_output=True)
        try:
            for r in range(1, args.rounds + 1):
                for side, code in (('old', worktree), ('new', ROOT)):
                    t = run_side(code, args.stage, scratch/f'{side}{r}')
                    print(f"round {r} {side}: {t['wall_s']:.1f} s wall, {t['cpu_s']:.1f} s CPU", file=sys.stderr)
        finally: subprocess.run(['git', 'worktree', 'remove', '--force', str(worktree)], cwd=ROOT, capture_output=True)
    out = summarise(args.stage, base, scratch, args.rounds)
    if args.collect: out['collected_from'] = str(scratch)
    path = Path(args.out or ROOT/f'bench/results/stage_ab_{args.stage}.json')
    path.write_text(json.dumps(out, indent=1) + '\n')
    print(f"{args.stage}: {out['old_median_s']:.1f} -> {out['new_median_s']:.1f} s ({out['speedup']}x), same outputs: {out['same_outputs']}: {path}", file=sys.stderr)

if __name__ == '__main__':
    main()
