"""Benchmark of step 2's conditioning cache: G1(E(x), l_x) computed once at set-up vs once per step.

E and G1 are frozen and noiseless, so `train_step2.real_conditions` computes the real side's conditioning images
for every training face at set-up (when they fit in `COND_CACHE_MB`) and each step indexes them. This script
builds the default profile's step-2 run twice from the committed step-1 model and normalized data, with and
without the cache (COND_CACHE_MB = 0 turns it off), and times the training step (batch, G, path length, D, EMA:
the loop of `train_step2` without snapshots) in interleaved rounds, so both sides see the same machine. It also
times the cache's construction and reports the largest difference between a cached and a per-batch row.

Writes bench/results/step2_cache.json. Not a test. Needs `dvc repro train_step1` (or the committed outputs).

    python bench/step2_cache.py                      # 3 rounds of 20 steps each way
    python bench/step2_cache.py --rounds 5 --steps 40
"""
import argparse, os, platform, statistics, sys, tempfile, time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]

def run_steps(s, seed:int, batch:int, start:int, n:int) -> float:
    "Seconds per step of `n` training steps of the step-2 run `s` from step `start` (train_step2's loop, no snapshots)."
    from facediv.training import seed_torch
    from facediv.train_step2 import step2_batch, step2_G_step, step2_pl_step, step2_D_step, update_ema, ema_beta
    t0 = time.perf_counter()
    for step in range(start, start + n):
        seed_torch(seed, step, s.rank)
        x, c, c_gen, z, cond_real, cond_gen = step2_batch(s, seed, step, batch)
        fake, *_ = step2_G_step(s, z, c_gen, cond_gen)
        step2_pl_step(s, z, c_gen, step)
        step2_D_step(s, x, c, cond_real, fake, c_gen, cond_gen, step)
        update_ema(s.G_ema, s.G, ema_beta(step, batch, s.EMA['ema_kimg'], s.EMA['ema_rampup']))
    return (time.perf_counter() - t0) / n

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--params', default=str(ROOT/'params.yaml'))
    ap.add_argument('--data_dir', default=str(ROOT/'data/normalize'))
    ap.add_argument('--step1_model', default=str(ROOT/'models/train_step1/model.safetensors'))
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--steps', type=int, default=20)
    ap.add_argument('--out', default=str(ROOT/'bench/results/step2_cache.json'))
    a = ap.parse_args()
    import facediv.train_step2 as t2
    from facediv.core import load_params, save_json
    cfg = load_params('train_step2', t2.TRAIN_STEP2_SCHEMA, a.params)
    with tempfile.TemporaryDirectory() as d:
        opts = t2.step2_options(cfg, a.data_dir, a.step1_model, d, Path(d)/'plots', Path(d)/'metrics.json')
        keys = t2.step2_setup.__code__.co_varnames[:t2.step2_setup.__code__.co_argcount]
        setup_kw = {k: v for k, v in opts.items() if k in keys}
        if cfg.threads: torch.set_num_threads(cfg.threads)
        runs, limit = {}, t2.COND_CACHE_MB
        for name, t2.COND_CACHE_MB in (('cached', limit), ('per_step', 0)): runs[name] = t2.step2_setup(**setup_kw)
        t2.COND_CACHE_MB = limit
        cached, per_step = runs['cached'], runs['per_step']
        assert cached.cond_real is not None and per_step.cond_real is None
        t0 = time.perf_counter(); t2.real_conditions(cached.E, cached.G1, cached.ts, cached.dev); cache_s = time.perf_counter() - t0
        idx = np.arange(min(64, len(cached.ts)))
        x, c = cached.ts.batch(idx)
        with torch.no_grad(): max_diff = float((cached.cond_real[idx] - cached.G1(cached.E(x), c)).abs().max())
        times = {'cached': [], 'per_step': []}
        for r in range(a.rounds):                                                 # interleaved: the same machine state for both
            for name in (('cached', 'per_step') if r % 2 == 0 else ('per_step', 'cached')):
                times[name].append(run_steps(runs[name], cfg.seed, cfg.batch, r * a.steps, a.steps))
                print(f'round {r}: {name} {times[name][-1]:.3f} s/step', file=sys.stderr)
    med = {k: statistics.median(v) for k, v in times.items()}
    result = {'what': 'train_step2 seconds per training step with the G1(E(x)) cache vs without, default profile',
              'n_faces': len(cached.ts), 'resolution': cached.ts.resolution, 'batch': cfg.batch, 'threads': cfg.threads,
              'cache_mb': round(cached.cond_real.numel() * 4 / 2 ** 20, 1), 'cache_build_s': round(cache_s, 2),
              'max_abs_diff_cached_vs_per_batch': max_diff, 'rounds': a.rounds, 'steps_per_round': a.steps,
              's_per_step': {k: [round(t, 4) for t in v] for k, v in times.items()},
              'median_s_per_step': {k: round(v, 4) for k, v in med.items()},
              'saving_pct': round(100 * (1 - med['cached'] / med['per_step']), 1),
              'saving_per_run_s': round((med['per_step'] - med['cached']) * cfg.steps - cache_s, 1), 'steps_per_run': cfg.steps,
              'machine': {'cpus': os.cpu_count(), 'python': platform.python_version(), 'torch': torch.__version__}}
    save_json(result, a.out)
    print(f"cached {med['cached']:.3f} vs per step {med['per_step']:.3f} s/step ({result['saving_pct']} %), cache {result['cache_mb']} MB "
          f"in {cache_s:.1f} s; {a.out}")

if __name__ == '__main__': main()
