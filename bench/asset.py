"""Benchmark of facediv.assets: seconds and bytes per complete asset at 1K and 4K on CPU.

One asset = generate (G2, batch 1, mesh from the UV geometry) → skin maps (SR to the translators' size,
translate to specular + displacement, SR chain + bicubic to the texture size, roughness from specular) →
part textures + FaceAsset (displacement → normal map happens in the exporters) → export (GLB, OBJ, USD; each
timed apart). Each resolution runs in a fresh child process so its peak resident memory (ru_maxrss) is its own;
the first asset is reported apart (cold: caches of UV rasters and layouts are built), the rest as medians.

Models: the trained ones (models/train_step2, models/translate, models/sr) when they exist, else networks of the
params.yaml sizes with random weights (time does not depend on the weights; the record says which).
Writes bench/results/asset.json and prints a summary. Not a test.

    python bench/asset.py                          # 1K and 4K, 3 assets each
    python bench/asset.py --res 1024 --n 5 --model /path/to/model.safetensors
"""
import argparse, json, os, platform, resource, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def child(args) -> dict:
    "Run `args.n` assets at one resolution in this process; return timings, sizes and peak RAM."
    import numpy as np, torch
    torch.set_num_threads(args.threads)
    from facediv.core import load_params
    from facediv.generate import generate, load_model
    from facediv.translate import TRANSLATE_SCHEMA, Translator, load_translators, MAP_KINDS
    from facediv.sr import SR_SCHEMA, SRNet, load_sr, SR_KINDS
    from facediv.assets import make_asset, skin_maps_at, export_face
    from facediv.export import export_glb, export_obj, export_usd
    used = {}
    # Models.
    gm = load_model(args.model)
    used['generator'] = f'{args.model} (resolution {gm.resolution})'
    tdir, sdir = Path(args.translate_dir), Path(args.sr_dir)
    if (tdir/'specular.safetensors').exists():
        translators = load_translators(tdir); used['translators'] = str(tdir)
    else:
        cfg = load_params('translate', TRANSLATE_SCHEMA, ROOT/'params.yaml', profile='default')
        translators = {k: (Translator(**cfg.net).eval(), {'res': 256, 'target_mean': 0., 'target_sd': 1., 'kind': k,
                                                           'roughness_fit': [0.88, -13.1]}) for k in MAP_KINDS}
        used['translators'] = f'random weights, params.yaml translate.net, 256² (no {tdir})'
    if (sdir/'sr.safetensors').exists():
        sr = load_sr(sdir); used['sr'] = str(sdir)
    else:
        cfg = load_params('sr', SR_SCHEMA, ROOT/'params.yaml', profile='default')
        sr = (SRNet(**cfg.net).eval(), {'stats': {k: (0., 1.) for k in SR_KINDS}}); used['sr'] = f'random weights, params.yaml sr.net (no {sdir})'
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for i in range(args.n):
            row, t = {}, time.perf_counter()
            face = generate(n=1, seed=i, mesh=True, model=gm, psi=0.8)
            row['generate'] = time.perf_counter() - t
            maps, times = skin_maps_at(face['albedo'], args.res, translators, sr, args.sr_kinds)
            row.update(times)
            t = time.perf_counter()
            asset, info = make_asset(face, 0, args.res, seed=i, maps={k: v[0] for k, v in maps.items()})
            row['parts_and_asset'] = time.perf_counter() - t
            sizes = {}
            for fmt, fn in (('glb', lambda: export_glb(asset, Path(d)/f'{i}.glb')), ('obj', lambda: export_obj(asset, Path(d)/f'obj{i}')),
                            ('usd', lambda: export_usd(asset, Path(d)/f'usd{i}'))):
                t = time.perf_counter(); p = fn(); row[f'export_{fmt}'] = time.perf_counter() - t
                sizes[fmt] = p.stat().st_size if fmt == 'glb' else sum(f.stat().st_size for f in p.parent.iterdir())
            row['total_glb'] = sum(v for k, v in row.items() if not k.startswith('export_')) + row['export_glb']
            row['total_all_formats'] = sum(row.values()) - row['total_glb']
            row['bytes'] = sizes
            rows.append(row)
            print(f"  {args.res}² asset {i}: {row['total_glb']:.2f} s (GLB only), {row['total_all_formats']:.2f} s (GLB+OBJ+USD)", file=sys.stderr)
    warm = rows[1:] or rows
    keys = [k for k in rows[0] if k != 'bytes']
    return {'res': args.res, 'n': args.n, 'models': used, 'threads': args.threads, 'sr_kinds': args.sr_kinds,
            'cold_first_asset_s': {k: round(rows[0][k], 3) for k in keys},
            'warm_median_s': {k: round(float(np.median([r[k] for r in warm])), 3) for k in keys},
            'bytes': rows[-1]['bytes'], 'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            'rss_after_loading_models_mb': rss0}

def sr_only(args) -> dict:
    "Peak RSS of super-resolving one albedo tile (3 channels) to `args.res` alone: the tiled-inference memory claim."
    import numpy as np, torch
    torch.set_num_threads(args.threads)
    from facediv.sr import SRNet, SR_KINDS, load_sr, upsample_maps, SCALE
    sdir = Path(args.sr_dir)
    sr = load_sr(sdir) if (sdir/'sr.safetensors').exists() else (SRNet().eval(), {'stats': {k: (0., 1.) for k in SR_KINDS}})
    x = np.random.default_rng(0).uniform(0.05, 0.6, (1, args.res // SCALE, args.res // SCALE, 3)).astype(np.float32)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = time.perf_counter()
    y = upsample_maps(x, 'albedo', args.res, sr)
    return {'res_in': args.res // SCALE, 'res_out': args.res, 'shape': list(y.shape), 'seconds': round(time.perf_counter() - t, 2),
            'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'rss_before_mb': rss0}

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--res', type=int, nargs='+', default=[1024, 4096])
    ap.add_argument('--n', type=int, default=3, help='assets per resolution (the first is reported as cold)')
    ap.add_argument('--model', default=str(ROOT/'models/train_step2/model.safetensors'))
    ap.add_argument('--translate_dir', default=str(ROOT/'models/translate'))
    ap.add_argument('--sr_dir', default=str(ROOT/'models/sr'))
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--sr_kinds', nargs='+', default=['albedo', 'specular', 'displacement'], help='maps that take the SR chain')
    ap.add_argument('--out', default=str(ROOT/'bench/results/asset.json'))
    ap.add_argument('--child', action='store_true', help=argparse.SUPPRESS)
    ap.add_argument('--sr_only', action='store_true', help='only measure SR of one albedo tile to the largest --res (peak RAM)')
    args = ap.parse_args()
    if args.child:
        args.res = args.res[0]
        print(json.dumps(sr_only(args) if args.sr_only else child(args))); return
    results, sr_mem = [], None
    cmd = [sys.executable, __file__, '--child', '--sr_only', '--res', str(max(args.res)), '--sr_dir', args.sr_dir, '--threads', str(args.threads)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, 'OMP_NUM_THREADS': str(args.threads)})
    if proc.returncode == 0: sr_mem = json.loads(proc.stdout.strip().splitlines()[-1])
    else: sys.stderr.write(proc.stderr[-2000:])
    print(f"SR alone, one albedo tile {max(args.res) // 4}² → {max(args.res)}²: peak RSS {sr_mem['peak_rss_mb']:.0f} MB, {sr_mem['seconds']:.1f} s"
          if sr_mem else 'SR-only measurement failed', file=sys.stderr)
    if args.sr_only:
        print(json.dumps(sr_mem)); return
    for res in args.res:
        cmd = [sys.executable, __file__, '--child', '--res', str(res), '--n', str(args.n), '--model', args.model,
               '--translate_dir', args.translate_dir, '--sr_dir', args.sr_dir, '--threads', str(args.threads), '--sr_kinds', *args.sr_kinds]
        proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, 'OMP_NUM_THREADS': str(args.threads)})
        sys.stderr.write(proc.stderr[-2000:])
        if proc.returncode: raise SystemExit(f'child for {res} failed')
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    from facediv.core import save_json
    rec = {'machine': {'platform': platform.platform(), 'cpu_count': os.cpu_count(), 'python': platform.python_version()},
           'what': 'seconds per complete asset: generate -> SR to translator size -> translate -> SR chain + bicubic -> parts -> export',
           'goal': '<= 1 s per full 1K asset on CPU', 'sr_only_peak': sr_mem, 'results': results}
    save_json(rec, args.out)
    for r in results:
        w = r['warm_median_s']
        top = sorted(((k, v) for k, v in w.items() if not k.startswith('total')), key=lambda kv: -kv[1])[:3]
        print(f"{r['res']}²: {w['total_glb']:.2f} s per asset with GLB ({w['total_all_formats']:.2f} s with GLB+OBJ+USD), "
              f"GLB {r['bytes']['glb'] / 1e6:.1f} MB, peak RSS {r['peak_rss_mb']:.0f} MB; dominated by "
              + ', '.join(f'{k} {v:.2f} s' for k, v in top))
    print(f'wrote {args.out}')

if __name__ == '__main__':
    main()
