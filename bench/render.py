"""Benchmark of facediv.render: frames per second of the `gl` (moderngl) and `torch` (z-buffer) backends.

Renders the 26,719-vertex ICT head at 256², 512² and 1024² with both backends in one run, on the same machine.
Every frame is a full `render()` call as a stage would make it: new vertices (a different identity/expression,
so vertex normals are recomputed and uploaded), a different view, all six outputs (rgb, mask, depth, normal,
uv, tri) read back into numpy. The two backends' frames are interleaved, so a change in machine load during
the run hits both alike and the ratio stays fair; frames per second are 1 / median frame time. Writes
bench/results/render.json and prints a summary. Not a test.

    python bench/render.py                      # defaults: sizes 256 512 1024
    python bench/render.py --sizes 512 --gl-frames 200
"""
import argparse, json, os, platform, sys, time
from pathlib import Path

import numpy as np
import torch

from facediv.core import save_json
from facediv.render import VIEWS, gl_context, named_view, render, skin_textures, studio_lighting
from facediv.template import load_template, template_vertices

GOAL_FPS, GOAL_SIZE = 20, 512  # the goal: >= 20 frames/s at 512x512 on 2 CPU cores

def frames(n_variants:int=8, seed:int=0) -> list:
    "A few different heads (identity + expression) to cycle through, so every frame uploads new geometry."
    rng = np.random.default_rng(seed)
    n_expr = len(load_template().expression_names)
    return [template_vertices(rng.normal(size=100).astype(np.float32), rng.uniform(0, 0.5, n_expr).astype(np.float32))
            for _ in range(n_variants)]

def time_size(size:int, heads:list, gl_frames:int, torch_frames:int, warmup:int=2) -> dict:
    "Per-frame wall times (ms) of `render` calls for both backends at one size, interleaved so both see the same load."
    cams = [named_view(v, size=size) for v in VIEWS]
    tex, light = skin_textures(), studio_lighting()
    def frame(backend, i):
        t0, c0 = time.perf_counter(), time.process_time()
        out = render(heads[i % len(heads)], tex, cams[i % len(cams)], light, backend)
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        assert out['mask'].any()
        times[backend].append(dt); cpu[backend].append(dc); covered[backend] = int(out['mask'].sum())
    times, cpu, covered = {'gl': [], 'torch': []}, {'gl': [], 'torch': []}, {}
    for i in range(warmup): frame('gl', i); frame('torch', i)
    for b in times: times[b].clear(); cpu[b].clear()
    per_round = max(1, gl_frames // torch_frames)      # gl frames between two torch frames
    i = 0
    while len(times['gl']) < gl_frames or len(times['torch']) < torch_frames:
        for _ in range(per_round):
            if len(times['gl']) < gl_frames: frame('gl', i)
        if len(times['torch']) < torch_frames: frame('torch', i)
        i += 1
    out = {}
    for b, ts in times.items():
        t, c = np.array(ts) * 1e3, np.array(cpu[b]) * 1e3
        out[b] = {'frames': len(t), 'median_ms': float(np.median(t)), 'mean_ms': float(t.mean()), 'min_ms': float(t.min()),
                  'fps_median': float(1e3 / np.median(t)), 'fps_best': float(1e3 / t.min()),
                  # CPU seconds of all the process's threads per frame: immune to other processes' load.
                  # 1 / cpu time is the rate the frame would reach with one idle core and no parallelism.
                  'cpu_ms_median': float(np.median(c)), 'fps_one_idle_core': float(1e3 / np.median(c)),
                  'covered_px': covered[b]}
    return out

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--sizes', type=int, nargs='+', default=[256, 512, 1024], help='image sizes (px, square)')
    ap.add_argument('--gl-frames', type=int, default=120, help='timed frames per size for the gl backend')
    ap.add_argument('--torch-frames', type=int, default=12, help='timed frames per size for the torch backend')
    ap.add_argument('--out', default=str(Path(__file__).parent/'results'/'render.json'), help='JSON results file')
    args = ap.parse_args()

    ctx = gl_context()
    heads = frames()
    load_before = os.getloadavg()
    results = []
    for size in args.sizes:
        row = {'size': size, **time_size(size, heads, args.gl_frames, args.torch_frames)}
        row['fps'] = {b: row[b]['fps_median'] for b in ('gl', 'torch')}
        row['ratio_gl_over_torch'] = row['fps']['gl'] / row['fps']['torch']
        results.append(row)
        row['ratio_cpu_torch_over_gl'] = row['torch']['cpu_ms_median'] / row['gl']['cpu_ms_median']
        print(f"{size:>5}²  wall: gl {row['fps']['gl']:6.1f} fps, torch {row['fps']['torch']:6.2f} fps, gl/torch ×{row['ratio_gl_over_torch']:.1f}"
              f"   | CPU per frame: gl {row['gl']['cpu_ms_median']:6.1f} ms, torch {row['torch']['cpu_ms_median']:7.1f} ms, "
              f"×{row['ratio_cpu_torch_over_gl']:.1f}   | 1/CPU: gl {row['gl']['fps_one_idle_core']:.1f} fps", file=sys.stderr)
    machine = (f"{platform.machine()} {os.cpu_count()} CPU cores, torch {torch.__version__} (torch backend runs on 1 thread), "
               f"GL: {ctx.info['GL_RENDERER']}, {ctx.info['GL_VERSION']}")
    record = {'benchmark': 'facediv.render: full render() call per frame (new vertices + normals, all outputs to numpy)',
              'machine': machine, 'load_average_before': load_before, 'load_average_after': os.getloadavg(),
              'mesh': {'vertices': load_template().n_vertices}, 'goal': {'fps': GOAL_FPS, 'size': GOAL_SIZE},
              'results': results, 'date': time.strftime('%Y-%m-%d %H:%M:%S')}
    goal = [r for r in results if r['size'] == GOAL_SIZE]
    if goal:
        g = goal[0]['gl']
        record['goal'].update(wall_fps=g['fps_median'], one_idle_core_fps=g['fps_one_idle_core'],
                              met_wall=bool(g['fps_median'] >= GOAL_FPS), met_one_idle_core=bool(g['fps_one_idle_core'] >= GOAL_FPS),
                              note='wall-clock fps share the cores with whatever else runs (see load_average_*); '
                                   'one_idle_core_fps = 1 / (CPU seconds of all threads per frame) is what the frame rate '
                                   'would be on a single idle core with no parallelism, a lower bound for 2 idle cores')
    save_json(record, args.out)
    print(f"{machine}; load average {load_before[0]:.1f} → {record['load_average_after'][0]:.1f}\nwrote {args.out}", file=sys.stderr)
    if goal:
        print(f"goal ≥{GOAL_FPS} fps at {GOAL_SIZE}² (gl): wall {g['fps_median']:.1f} fps ({'met' if record['goal']['met_wall'] else 'not met'}), "
              f"one idle core {g['fps_one_idle_core']:.1f} fps ({'met' if record['goal']['met_one_idle_core'] else 'not met'})", file=sys.stderr)

if __name__ == '__main__': main()
