"""Benchmark of `relight.ssim_map` (the Gaussian window as two 1-D passes of shifted views) against torchmetrics' SSIM.

Both compute SSIM per pixel with the same definition (Gaussian window σ 1.5, 11 taps, reflect padding). The
texture stages score face tiles with it: `normalize` five methods on every dataset face, `train_normalizer` every
relit test scan, `translate` and `sr` their held-out maps. This script times both on `--n` seeded sRGB-like
tiles of `--res`² (a reference and a noisy copy), side by side in interleaved repeats, one torch thread (the
stages' setting), and reports the medians and the largest difference of the per-pixel maps.

Writes bench/results/ssim.json. Not a test.

    python bench/ssim.py
    python bench/ssim.py --n 16 --res 512 --repeats 7
"""
import argparse, os, platform, statistics, sys, time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--n', type=int, default=30)
    ap.add_argument('--res', type=int, default=256)
    ap.add_argument('--repeats', type=int, default=5)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--out', default=str(ROOT/'bench/results/ssim.json'))
    a = ap.parse_args()
    from torchmetrics.functional.image import structural_similarity_index_measure
    from facediv.relight import ssim_map
    from facediv.core import save_json
    torch.set_num_threads(a.threads)
    g = torch.Generator().manual_seed(0)
    truth = torch.rand(a.n, 3, a.res, a.res, generator=g)
    noisy = (truth + 0.1 * torch.randn(a.n, 3, a.res, a.res, generator=g)).clamp(0, 1)
    routes = {'torchmetrics': lambda: structural_similarity_index_measure(noisy, truth, data_range=1.0, return_full_image=True, reduction='none')[1],
              'ssim_map': lambda: ssim_map(noisy, truth)}
    times = {k: [] for k in routes}
    for r in range(a.repeats + 1):                                               # round 0 warms up, not counted
        for name in (routes if r % 2 else reversed(list(routes))):
            t0 = time.perf_counter(); routes[name](); dt = time.perf_counter() - t0
            if r: times[name].append(dt)
    diff = float((routes['torchmetrics']() - routes['ssim_map']()).abs().max())
    med = {k: statistics.median(v) for k, v in times.items()}
    result = {'what': 'SSIM maps of n tiles, torchmetrics (one 11x11 grouped conv) vs relight.ssim_map (two 1-D passes)',
              'n': a.n, 'res': a.res, 'threads': a.threads, 'repeats': a.repeats,
              'seconds': {k: [round(t, 4) for t in v] for k, v in times.items()}, 'median_s': {k: round(v, 3) for k, v in med.items()},
              'speedup': round(med['torchmetrics'] / med['ssim_map'], 1), 'max_abs_diff': diff,
              'machine': {'cpus': os.cpu_count(), 'python': platform.python_version(), 'torch': torch.__version__}}
    save_json(result, a.out)
    print(f"torchmetrics {med['torchmetrics']:.3f} s, ssim_map {med['ssim_map']:.3f} s: {result['speedup']}x; max |diff| {diff:.1e}; {a.out}")

if __name__ == '__main__': main()
