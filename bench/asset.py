"""Benchmark of facediv.assets: seconds, bytes and peak memory per complete asset, before and after, side by side.

One asset = generate (G2, batch 1, mesh from the UV geometry) → skin maps (SR to the translators' size, translate to
specular + displacement, then SR and/or bicubic to the texture size, roughness from specular) → part textures
(eyes, teeth, gums, lashes) + FaceAsset → GLB (displacement → normal map, 53 morph targets). OBJ and USD are
timed apart (`--all_formats`); they are not part of the 1-second budget ("no OBJ or USD unless asked").

Every variant runs in its own child process (its peak resident memory, ru_maxrss, is its own) on the same faces and
models, in one run, so the ratios compare like with like:
  before             the code of --base (default: the commit before the speed work), as the assets stage ran it:
                     the full SR network twice (64 → 256 → 1024), PNG at PIL's default level 6, one encoder
  after              this checkout's defaults (params.yaml assets): the distilled student to 256 then bicubic,
                     PNG level 1, roughness + specular in one image, images encoded in parallel
  one lever at a time, from `after`: the teacher SR network, SR all the way to 1K, JPEG base colour, 1 thread
2K and 4K run `after` (and 4K `before`, one asset) for time and peak memory.
The first asset of each child is reported apart (cold: UV rasters, layouts and morph targets are cached then);
the rest give the median. Each child also saves the skin maps of its first asset, and the parent reports each
variant's PSNR against `before` on covered texels (how much the asset changed), next to the held-out PSNR of the
SR networks from metrics/sr.json.

Models: models/train_step2, models/translate and models/sr (trained by `dvc repro`); without them the run stops.
Writes bench/results/asset.json and prints a table. Not a test.

    python bench/asset.py                         # 1K: before, after and the levers; 2K and 4K after (memory)
    python bench/asset.py --res 1024 --n 5 --variants before after
"""
import argparse, inspect, json, os, platform, resource, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASE = 'b6942b2'   # the last commit before the speed work of issue 18
VARIANTS = {  # name: (code, options)
    'before':          ('base', {'sr_model': 'full', 'sr_max_res': 0, 'png_level': 6, 'base_colour': 'png'}),
    'after':           ('head', {}),
    'after_teacher_sr': ('head', {'sr_model': 'full'}),
    'after_sr_to_res': ('head', {'sr_max_res': 0}),
    'after_jpeg':      ('head', {'base_colour': 'jpeg'}),
    'after_1_thread':  ('head', {'threads': 1}),
}

def child(args) -> dict:
    "Run `args.n` assets at one resolution in this process with one variant's options; timings, sizes, peak RAM."
    import numpy as np, torch
    torch.set_num_threads(args.threads)
    from facediv.generate import generate, load_model
    from facediv.translate import load_translators
    from facediv import sr as sr_mod
    from facediv.assets import make_asset, skin_maps_at
    from facediv import export
    new = 'sr_max_res' in inspect.signature(skin_maps_at).parameters              # the code after the speed work
    gm = load_model(args.model)
    translators = load_translators(args.translate_dir)
    sr = sr_mod.load_sr(args.sr_dir, args.sr_model) if new else sr_mod.load_sr(args.sr_dir)
    enc = export.TextureEncoding(png_level=args.png_level, base_colour=args.base_colour, threads=args.threads) if new else None
    kw = {'sr_max_res': args.sr_max_res} if new else {}
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for i in range(args.n):
            row, t = {}, time.perf_counter()
            face = generate(n=1, seed=i, mesh=True, model=gm, psi=0.8)
            row['generate'] = time.perf_counter() - t
            maps, times = skin_maps_at(face['albedo'], args.res, translators, sr, **kw)
            row.update(times)
            if i == 0 and args.save_maps:
                np.savez(args.save_maps, **{k: np.asarray(v[0], np.float32) for k, v in maps.items()})
            t = time.perf_counter()
            asset, info = make_asset(face, 0, args.res, seed=i, maps={k: v[0] for k, v in maps.items()})
            row['parts_and_asset'] = time.perf_counter() - t
            t = time.perf_counter()
            glb = export.export_glb(asset, Path(d)/f'{i}.glb', **({'encoding': enc} if new else {}))
            row['export_glb'] = time.perf_counter() - t
            row['total_glb'] = sum(row.values())
            sizes = {'glb': glb.stat().st_size}
            if args.all_formats:
                for fmt, fn in (('obj', export.export_obj), ('usd', export.export_usd)):
                    t = time.perf_counter(); p = fn(asset, Path(d)/f'{fmt}{i}', **({'encoding': enc} if new else {}))
                    row[f'export_{fmt}'] = time.perf_counter() - t
                    sizes[fmt] = sum(f.stat().st_size for f in p.parent.iterdir())
            row['bytes'] = sizes
            rows.append(row)
            print(f"  {args.variant} {args.res}² asset {i}: {row['total_glb']:.2f} s", file=sys.stderr)
    warm = rows[1:] or rows
    keys = [k for k in rows[0] if k != 'bytes']
    return {'variant': args.variant, 'res': args.res, 'n': args.n, 'threads': args.threads, 'code': 'after' if new else 'before',
            'options': {k: getattr(args, k) for k in ('sr_model', 'sr_max_res', 'png_level', 'base_colour')},
            'cold_first_asset_s': {k: round(rows[0][k], 3) for k in keys},
            'warm_median_s': {k: round(float(np.median([r[k] for r in warm])), 3) for k in keys},
            'bytes': rows[-1]['bytes'], 'peak_rss_mb': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            'rss_after_loading_models_mb': round(rss0)}

def psnr_vs(maps_path, ref_path) -> dict:
    "PSNR (dB) of each skin map against the reference variant's, on covered texels (albedo in sRGB, range 1; others the reference's range)."
    import numpy as np
    from facediv.core import linear_to_srgb
    from facediv.template import uv_raster
    a, b = np.load(maps_path), np.load(ref_path)
    out = {}
    for k in ('albedo', 'specular', 'displacement'):
        if k not in a or k not in b: continue
        x, y = (linear_to_srgb(a[k]), linear_to_srgb(b[k])) if k == 'albedo' else (a[k], b[k])
        m = uv_raster(x.shape[1]).mask
        xs, ys = x[m], y[m]
        rng_ = 1.0 if k == 'albedo' else float(ys.max() - ys.min())
        mse = float(np.mean((xs - ys) ** 2))
        out[k] = round(float(10 * np.log10(rng_ ** 2 / mse)), 2) if mse > 0 else float('inf')
    return out

def base_checkout(rev:str) -> Path:
    "A clean export of commit `rev` (the `before` code) in a temporary folder."
    d = Path(tempfile.mkdtemp(prefix='facediv-bench-base-'))
    subprocess.run(f'git -C {ROOT} archive {rev} facediv | tar -x -C {d}', shell=True, check=True)
    return d

def run_child(args, variant:str, res:int, n:int, code_root:Path, save_maps:Path|None) -> dict:
    opts = {'sr_model': args.sr_model, 'sr_max_res': args.sr_max_res, 'png_level': args.png_level, 'base_colour': args.base_colour,
            'threads': args.threads, **VARIANTS[variant][1]}
    cmd = [sys.executable, __file__, '--child', '--variant', variant, '--res', str(res), '--n', str(n), '--model', args.model,
           '--translate_dir', args.translate_dir, '--sr_dir', args.sr_dir, *[f'--{k}={v}' for k, v in opts.items()]]
    if save_maps: cmd += ['--save_maps', str(save_maps)]
    if args.all_formats: cmd.append('--all_formats')
    env = {**os.environ, 'OMP_NUM_THREADS': str(opts['threads'] or os.cpu_count()), 'PYTHONPATH': str(code_root)}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=code_root)
    sys.stderr.write(proc.stderr[-1500:])
    if proc.returncode: raise SystemExit(f'child {variant} at {res}² failed')
    return json.loads(proc.stdout.strip().splitlines()[-1])

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--res', type=int, nargs='+', default=[1024])
    ap.add_argument('--n', type=int, default=6, help='assets per child (the first is reported as cold, the median of the rest)')
    ap.add_argument('--variants', nargs='+', default=list(VARIANTS), choices=list(VARIANTS))
    ap.add_argument('--memory_res', type=int, nargs='*', default=[2048, 4096], help="`after`, 2 assets each: time and peak RSS")
    ap.add_argument('--before_memory_res', type=int, nargs='*', default=[4096], help="`before`, 1 asset each: peak RSS")
    ap.add_argument('--base', default=BASE, help='git revision of the `before` code')
    ap.add_argument('--model', default=str(ROOT/'models/train_step2/model.safetensors'))
    ap.add_argument('--translate_dir', default=str(ROOT/'models/translate'))
    ap.add_argument('--sr_dir', default=str(ROOT/'models/sr'))
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--sr_model', default='fast'); ap.add_argument('--sr_max_res', type=int, default=256)
    ap.add_argument('--png_level', type=int, default=1); ap.add_argument('--base_colour', default='png')
    ap.add_argument('--all_formats', action='store_true', help='also time OBJ and USD')
    ap.add_argument('--out', default=str(ROOT/'bench/results/asset.json'))
    ap.add_argument('--child', action='store_true', help=argparse.SUPPRESS)
    ap.add_argument('--variant', default='after', help=argparse.SUPPRESS)
    ap.add_argument('--save_maps', default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        args.res = args.res[0]
        print(json.dumps(child(args))); return
    for p in (args.model, Path(args.translate_dir)/'specular.safetensors', Path(args.sr_dir)/'sr_fast.safetensors'):
        if not Path(p).exists(): raise SystemExit(f'{p} not found: run `dvc repro` first (the benchmark needs the trained models)')
    base, tmp = base_checkout(args.base), Path(tempfile.mkdtemp(prefix='facediv-bench-maps-'))
    results = []
    for res in args.res:
        for v in args.variants:
            code = base if VARIANTS[v][0] == 'base' else ROOT
            results.append(run_child(args, v, res, args.n, code, tmp/f'{v}_{res}.npz'))
        for r in results:
            if r['res'] == res and (tmp/f"before_{res}.npz").exists():
                r['psnr_vs_before_db'] = psnr_vs(tmp/f"{r['variant']}_{res}.npz", tmp/f"before_{res}.npz")
    for res in args.memory_res:
        results.append(run_child(args, 'after', res, 2, ROOT, None))
    for res in args.before_memory_res:
        results.append(run_child(args, 'before', res, 1, base, None))
    sr_metrics = json.loads((ROOT/'metrics/sr.json').read_text()) if (ROOT/'metrics/sr.json').exists() else {}
    held_out = {k: {m: round(sr_metrics[k][m]['psnr'], 2) for m in ('sr', 'fast', 'bicubic') if m in sr_metrics.get(k, {})}
                for k in ('albedo', 'specular', 'displacement') if k in sr_metrics}
    chain = {k: {m: round(v[m]['psnr'], 2) for m in ('sr_sr', 'fast_bicubic', 'bicubic')} for k, v in (sr_metrics.get('chain_x16') or {}).items()}
    from facediv.core import save_json
    rec = {'machine': {'platform': platform.platform(), 'cpu_count': os.cpu_count(), 'python': platform.python_version()},
           'what': 'seconds per complete asset (generate -> skin maps -> parts -> GLB), before and after, one child process per variant',
           'goal': '<= 1 s per full 1K asset on 2 CPU cores (median of 5), every map within 0.5 dB of the held-out PSNR before',
           'base': args.base, 'held_out_psnr_x4_db': held_out, 'held_out_psnr_x16_chain_db': chain, 'results': results}
    save_json(rec, args.out)
    print(f"{'variant':18} {'res':>5} {'total s':>8} {'skin maps':>9} {'GLB':>6} {'GLB MB':>7} {'peak MB':>8}  PSNR vs before (dB)")
    for r in results:
        w = r['warm_median_s']
        maps_s = sum(w.get(k, 0) for k in ('sr_to_translate', 'translate', 'sr'))
        print(f"{r['variant']:18} {r['res']:>5} {w['total_glb']:>8.2f} {maps_s:>9.2f} {w['export_glb']:>6.2f} "
              f"{r['bytes']['glb'] / 1e6:>7.1f} {r['peak_rss_mb']:>8}  {r.get('psnr_vs_before_db', '')}")
    print(f'wrote {args.out}')

if __name__ == '__main__':
    main()
