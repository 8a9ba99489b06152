"""Benchmark of facediv's torch runtime for the face judges: planned, in-place execution vs a fresh tensor per node.

`GraphModel.__call__` runs a plan made at load (each node after its inputs), frees every activation after its last
reader and lets elementwise nodes (bias, batch-norm scale/shift, ReLU, ReLU6's clip) overwrite an input nothing else
reads. The *before* route here is the evaluator it replaced, kept in this file: every node computed into a fresh
tensor, all activations kept until the call returns. Both run the same `_run` operations on the same seeded inputs,
side by side in one process, with the stage's thread count (`--threads`, default every core), at each `--batches`
size; the outputs are compared bit for bit. Each timing is the median of `--repeats` passes over `--n` faces.

Writes bench/results/judge_runtime.json. Not a test.

    python bench/judge_runtime.py
    python bench/judge_runtime.py --models faceres --n 32 --batches 8 32
"""
import argparse, os, platform, statistics, sys, time

import numpy as np
import torch

from facediv.core import save_json
from facediv.judge import JUDGE_MODELS, judges_unavailable, load_judge_model, REPO

def fresh_tensor_call(g, x) -> dict:
    "The *before* route: every node into a new tensor, every activation kept to the end (iterative post-order)."
    with torch.no_grad():
        cache = {g.input: torch.as_tensor(x, dtype=torch.float32)}
        for out in g.outputs.values():
            stack = [out]
            while stack:
                cur = stack[-1]
                if cur in cache: stack.pop(); continue
                node = g.nodes[cur]
                if node['op'] == 'Const': cache[cur] = g.consts[cur]; stack.pop(); continue
                todo = [d for d in g._inputs(cur) if d not in cache]
                if todo: stack.extend(todo); continue
                cache[cur] = g._run(node, [cache[d] for d in g._inputs(cur)]); stack.pop()
        return {k: cache[v] for k, v in g.outputs.items()}

def timed(call, x:np.ndarray, batch:int, repeats:int) -> tuple:
    "(median seconds per face, outputs of the last pass) of `call` over `x` in batches."
    call(x[:batch])                                                    # warm-up: allocator, oneDNN primitive cache
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        parts = [call(x[i:i + batch]) for i in range(0, len(x), batch)]
        times.append((time.perf_counter() - t) / len(x))
    return statistics.median(times), {k: torch.cat([p[k] for p in parts]) for k in parts[0]}

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--models', nargs='+', default=['gear', 'faceres', 'faceresdeep', 'mobileface'])
    ap.add_argument('--n', type=int, default=32, help='faces per pass')
    ap.add_argument('--batches', type=int, nargs='+', default=[1, 4, 8, 32])
    ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--threads', type=int, default=0, help='torch threads (0 = every core, as the judging stages run)')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--out', default=str(REPO/'bench/results/judge_runtime.json'))
    args = ap.parse_args()
    if (why := judges_unavailable()) is not None: sys.exit(f"judges unavailable: {why}")
    if args.threads: torch.set_num_threads(args.threads)
    results = {}
    for name in args.models:
        m, g = JUDGE_MODELS[name], load_judge_model(name)
        x = np.random.default_rng(args.seed).uniform(0, m.scale, (args.n, m.size, m.size, 3)).astype(np.float32)
        row = {'default_batch': m.batch, 'by_batch': {}}
        for b in args.batches:
            before, out_before = timed(lambda v: fresh_tensor_call(g, v), x, b, args.repeats)
            after, out_after = timed(g, x, b, args.repeats)
            row['by_batch'][b] = {'before_ms_per_face': round(1e3 * before, 2), 'after_ms_per_face': round(1e3 * after, 2),
                                  'after_over_before': round(after / before, 3),
                                  'bitwise_equal': all(torch.equal(out_before[k], out_after[k]) for k in out_before)}
            print(f"{name:>12} batch {b:>3}: {1e3*before:7.1f} → {1e3*after:7.1f} ms/face", file=sys.stderr)
        best = min(row['by_batch'].items(), key=lambda kv: kv[1]['after_ms_per_face'])
        row['fastest_batch'] = best[0]
        # the change as the stages see it: the old evaluator at the old default batch (32) against the new at the model's default
        old = row['by_batch'].get(32, {}).get('before_ms_per_face'); new = row['by_batch'].get(m.batch, {}).get('after_ms_per_face')
        row['stage_view'] = {'before_ms_per_face (batch 32)': old, f'after_ms_per_face (batch {m.batch})': new,
                             'ratio': round(new / old, 3) if old and new else None}
        results[name] = row
    record = {'benchmark': 'face judges on torch: planned in-place execution (GraphModel) vs a fresh tensor per node (the evaluator it replaced)',
              'machine': f"{platform.machine()} {os.cpu_count()} CPU cores, torch {torch.__version__} ({torch.get_num_threads()} threads), "
                         f"python {platform.python_version()}",
              'settings': vars(args), 'load_average': os.getloadavg(), 'results': results, 'date': time.strftime('%Y-%m-%d %H:%M:%S'),
              'notes': ['ratios < 1: the planned runtime is faster', 'bitwise_equal compares every output of the two routes on the same inputs']}
    save_json(record, args.out)
    print(f"wrote {args.out}", file=sys.stderr)

if __name__ == '__main__': main()
