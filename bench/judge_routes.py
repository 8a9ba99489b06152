"""Benchmark of the face-judge runtimes: facediv's GraphModel on torch vs TF.js under node (wasm, cpu) vs the graphs converted to ONNX.

For each judge (gear 198², faceres 224², mobileface 112²) the same `--n` random inputs (seeded, scaled as the model
expects: [0,1] × JudgeModel.scale) go through
  * `facediv.judge.run_judge_model(name, x, backend='wasm')` and `backend='cpu'`: one node process per call, so the
    wall time includes node start-up, TF.js init and model load. Each backend is called on 1 image and on `--n` images;
    per_image_s = (t(n) − t(1)) / (n − 1) is the marginal cost of one more image, overhead_s = t(1) − per_image_s what a
    call costs before its first image. CPU seconds are the node child's (getrusage RUSAGE_CHILDREN), so a busy shared
    machine inflates wall time but not them. (TF.js-wasm under node runs single-threaded: tfjs disables wasm threads
    in node.)
  * onnxruntime (CPUExecutionProvider, intra_op_num_threads=1, inter_op_num_threads=1) on `{onnx_dir}/{name}.onnx` when
    that file exists (else skipped, with the reason): session creation time apart, one warm-up, then `--ort-repeats`
    timed runs of the whole batch at once; per_image_s = median batch time / n. Outputs are compared with the wasm
    route's on the same inputs (max |Δ| per output, with max |wasm output| for scale; cosine similarity for
    descriptors); the TF.js cpu backend's difference from wasm is recorded too, as the TF.js-internal yardstick.

The ONNX files are not part of the repository; they are made once, offline, e.g. (throwaway venv, not facediv's):
    python -m venv /tmp/onnxconv && /tmp/onnxconv/bin/pip install tensorflow-cpu tf2onnx
    # tf2onnx 1.17 still calls np.product (gone in numpy 2): alias it, then run its CLI on the tfjs graph directly
    /tmp/onnxconv/bin/python -c "import numpy as np, runpy; np.product = np.prod; runpy.run_module('tf2onnx.convert', run_name='__main__')" \\
        --tfjs tools/judge/human-models/models/faceres.json --output /tmp/judge_onnx/faceres.onnx --opset 17
(gear needs its _FusedConv2D nodes given the 'TArgs' attr first, which TF ≥ 2.16 requires and its old tfjs file lacks.)
Writes bench/results/judge_routes.json and prints a summary. Not a test.

    python bench/judge_routes.py --onnx-dir /tmp/judge_onnx
    python bench/judge_routes.py --models gear --n 16 --backends wasm
"""
import argparse, json, os, platform, resource, shutil, subprocess, sys, time
from pathlib import Path

import numpy as np

from facediv.core import save_json
from facediv.judge import JUDGE_MODELS, judges_unavailable, run_judge_model, load_judge_model, REPO

DESCRIPTORS = {'global_pooling/Mean', 'batchnorm0/add_1:0'}

def inputs(name:str, n:int, seed:int) -> np.ndarray:
    "[n,S,S,3] float32 uniform random inputs in the model's value range."
    m = JUDGE_MODELS[name]
    return (np.random.default_rng([seed, sum(map(ord, name))]).random((n, m.size, m.size, 3), np.float32) * m.scale)

def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN); return r.ru_utime + r.ru_stime

def timed_node(name:str, x:np.ndarray, backend:str) -> tuple:
    "(outputs, wall s, child CPU s) of one run_judge_model call."
    c0, t0 = children_cpu(), time.perf_counter()
    out = run_judge_model(name, x, runtime=f'tfjs-{backend}', workers=1)
    return out, time.perf_counter() - t0, children_cpu() - c0

def node_route(name:str, x:np.ndarray, backend:str) -> tuple:
    "Time `backend` on 1 and on len(x) images; (record, outputs on x)."
    _, w1, c1 = timed_node(name, x[:1], backend)
    out, wn, cn = timed_node(name, x, backend)
    n = len(x)
    per, per_cpu = (wn - w1) / (n - 1), (cn - c1) / (n - 1)
    return {'wall_1_image_s': w1, f'wall_{n}_images_s': wn, 'per_image_s': per, 'overhead_s': w1 - per,
            'cpu_per_image_s': per_cpu, 'cpu_overhead_s': c1 - per_cpu}, out

def diff(out:dict, ref:dict) -> dict:
    "Per output: max |out − ref|, max |ref| (scale), and the lowest cosine similarity for descriptors."
    res = {}
    for k, r in ref.items():
        o, r = np.asarray(out[k], np.float64), np.asarray(r, np.float64)
        d = {'max_abs_diff': float(np.abs(o - r).max()), 'max_abs_ref': float(np.abs(r).max())}
        if k in DESCRIPTORS:
            cos = (o * r).sum(1) / (np.linalg.norm(o, axis=1) * np.linalg.norm(r, axis=1))
            d['min_cosine'] = float(cos.min())
        res[k] = d
    return res

def onnx_route(name:str, x:np.ndarray, path:Path, repeats:int) -> tuple:
    "Time onnxruntime (1 thread) on the whole batch; (record, outputs on x)."
    import onnxruntime as ort
    so = ort.SessionOptions(); so.intra_op_num_threads = 1; so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    t0 = time.perf_counter()
    sess = ort.InferenceSession(str(path), so, providers=['CPUExecutionProvider'])
    load = time.perf_counter() - t0
    feed = {sess.get_inputs()[0].name: np.ascontiguousarray(x, np.float32)}
    names = [o.name for o in sess.get_outputs()]
    missing = [k for k in JUDGE_MODELS[name].outputs if k not in names]
    if missing: raise ValueError(f"{path} lacks outputs {missing} (has {names})")
    t0 = time.perf_counter(); sess.run(None, {k: v[:1] for k, v in feed.items()}); first = time.perf_counter() - t0
    walls, cpus = [], []
    for _ in range(repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        ys = sess.run(names, feed)
        walls.append(time.perf_counter() - t0); cpus.append(time.process_time() - c0)
    n = len(x)
    return {'session_load_s': load, 'first_run_1_image_s': first, f'batch_{n}_wall_s': walls,
            'per_image_s': float(np.median(walls)) / n, 'cpu_per_image_s': float(np.median(cpus)) / n,
            'file_bytes': path.stat().st_size}, dict(zip(names, ys))

def tool_version(cmd) -> str|None:
    try: return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
    except Exception: return None

def torch_route(name:str, x:np.ndarray, repeats:int) -> tuple:
    "facediv's own runtime (GraphModel on torch, 1 thread): (record, outputs); median of `repeats` whole-batch runs."
    import torch
    torch.set_num_threads(1)
    t0 = time.perf_counter(); load_judge_model.cache_clear(); load_judge_model(name); load_s = time.perf_counter() - t0
    walls, cpus = [], []
    for _ in range(repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        out = run_judge_model(name, x, runtime='torch', batch=len(x))
        walls.append(time.perf_counter() - t0); cpus.append(time.process_time() - c0)
    n = len(x)
    return {'model_load_s': load_s, 'per_image_s': float(np.median(walls)) / n, 'cpu_per_image_s': float(np.median(cpus)) / n}, out

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--models', nargs='+', default=list(JUDGE_MODELS), choices=list(JUDGE_MODELS))
    ap.add_argument('--n', type=int, default=32, help='random images per model (batch size for onnxruntime)')
    ap.add_argument('--backends', nargs='+', default=['wasm'], choices=['wasm', 'cpu'], help='TF.js backends to time (cpu: minutes)')
    ap.add_argument('--onnx-dir', default=None, help='folder with {gear,faceres,mobileface}.onnx; without it ONNX is skipped')
    ap.add_argument('--ort-repeats', type=int, default=3, help='timed onnxruntime batch runs (median taken)')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--out', default=str(Path(__file__).parent/'results'/'judge_routes.json'), help='JSON results file')
    args = ap.parse_args()
    assert args.n >= 2, '--n must be ≥ 2 (per-image cost is the difference of the n- and 1-image calls)'
    if (why := judges_unavailable()): sys.exit(f"the TF.js judges cannot run here: {why}")
    try: import onnxruntime as ort; ort_version = ort.__version__
    except ImportError: ort, ort_version = None, None

    load_before = os.getloadavg()
    results = {}
    for name in args.models:
        x = inputs(name, args.n, args.seed)
        row, outs = {'input': f'{args.n}×{x.shape[1]}²×3 uniform in [0, {JUDGE_MODELS[name].scale:g}]'}, {}
        for b in args.backends:
            row[f'node_{b}'], outs[b] = node_route(name, x, b)
            print(f"{name:>10} node {b:<4}: {1e3*row[f'node_{b}']['per_image_s']:8.1f} ms/image "
                  f"(CPU {1e3*row[f'node_{b}']['cpu_per_image_s']:.1f}), +{row[f'node_{b}']['overhead_s']:.2f} s per call", file=sys.stderr)
        if 'cpu' in outs and 'wasm' in outs: row['diff_node_cpu_vs_wasm'] = diff(outs['cpu'], outs['wasm'])
        path = Path(args.onnx_dir)/f'{name}.onnx' if args.onnx_dir else None
        if path is None: row['onnx'] = {'skipped': 'no --onnx-dir given'}
        elif ort is None: row['onnx'] = {'skipped': 'onnxruntime is not installed in this environment'}
        elif not path.is_file(): row['onnx'] = {'skipped': f'{path} not found'}
        else:
            try: row['onnx'], outs['onnx'] = onnx_route(name, x, path, args.ort_repeats)
            except Exception as e: row['onnx'] = {'skipped': f'onnxruntime failed on {path}: {type(e).__name__}: {str(e)[:300]}'}
        if 'onnx' in outs:
            print(f"{name:>10} onnxruntime: {1e3*row['onnx']['per_image_s']:8.1f} ms/image "
                  f"(CPU {1e3*row['onnx']['cpu_per_image_s']:.1f}), session load {row['onnx']['session_load_s']:.2f} s", file=sys.stderr)
            if 'wasm' in outs:
                row['diff_onnx_vs_wasm'] = diff(outs['onnx'], outs['wasm'])
                row['diff_onnx_vs_wasm_first_8'] = diff({k: v[:8] for k, v in outs['onnx'].items()},
                                                        {k: v[:8] for k, v in outs['wasm'].items()})
                worst = max(d['max_abs_diff'] for d in row['diff_onnx_vs_wasm'].values())
                print(f"{name:>10} max |onnx − wasm| = {worst:.2e}", file=sys.stderr)
        row['torch'], outs['torch'] = torch_route(name, x, args.ort_repeats)
        print(f"{name:>10} torch (facediv): {1e3*row['torch']['per_image_s']:8.1f} ms/image (CPU {1e3*row['torch']['cpu_per_image_s']:.1f})", file=sys.stderr)
        if 'wasm' in outs: row['diff_torch_vs_wasm'] = diff(outs['torch'], outs['wasm'])
        ratios = {}
        for b in args.backends:
            ratios[f'torch_over_{b}_per_image'] = row['torch']['per_image_s'] / row[f'node_{b}']['per_image_s']
            if 'onnx' in outs: ratios[f'torch_over_onnx_per_image'] = row['torch']['per_image_s'] / row['onnx']['per_image_s']
            if 'onnx' in outs:
                ratios[f'onnx_over_{b}_per_image'] = row['onnx']['per_image_s'] / row[f'node_{b}']['per_image_s']
                ratios[f'onnx_over_{b}_cpu_per_image'] = row['onnx']['cpu_per_image_s'] / row[f'node_{b}']['cpu_per_image_s']
                # what a whole call of n images costs, node start-up and session creation included
                ratios[f'onnx_over_{b}_call_{args.n}_images'] = ((row['onnx']['session_load_s'] + row['onnx']['per_image_s'] * args.n)
                                                                / row[f'node_{b}'][f'wall_{args.n}_images_s'])
        if 'wasm' in args.backends and 'cpu' in args.backends:
            ratios['cpu_over_wasm_per_image'] = row['node_cpu']['per_image_s'] / row['node_wasm']['per_image_s']
        row['ratios'] = ratios
        results[name] = row

    tfjs = REPO/'tools/judge/node_modules/@tensorflow'
    versions = {p: json.loads((tfjs/p/'package.json').read_text())['version'] for p in ('tfjs-core', 'tfjs-backend-wasm', 'tfjs-converter')
                if (tfjs/p/'package.json').is_file()}
    machine = (f"{platform.machine()} {os.cpu_count()} CPU cores, node {tool_version([shutil.which('node') or 'node', '--version'])}, "
               f"TF.js {versions}, onnxruntime {ort_version} (1 thread), python {platform.python_version()}")
    record = {'benchmark': 'face judges: facediv GraphModel on torch vs TF.js under node (wasm / cpu backend) vs onnxruntime on converted graphs',
              'machine': machine, 'platform': platform.platform(),
              'load_average_before': load_before, 'load_average_after': os.getloadavg(),
              'settings': {'n': args.n, 'seed': args.seed, 'ort_repeats': args.ort_repeats, 'onnx_dir': args.onnx_dir,
                           'backends': args.backends},
              'notes': ['per_image_s of node = (t(n images) − t(1 image)) / (n − 1): marginal cost, node start-up excluded; '
                        'overhead_s = the rest of a 1-image call (node start, TF.js init, model load)',
                        'node runs images one at a time (run_model.js); onnxruntime runs the whole batch at once',
                        'cpu_* = CPU seconds (node child via RUSAGE_CHILDREN, onnxruntime via process_time): unaffected by other load',
                        'ratios < 1 mean the numerator route is faster'],
              'results': results, 'date': time.strftime('%Y-%m-%d %H:%M:%S')}
    save_json(record, args.out)
    print(f"{machine}; load average {load_before[0]:.1f} → {record['load_average_after'][0]:.1f}\nwrote {args.out}", file=sys.stderr)

if __name__ == '__main__': main()
