"""Photo → asset (facediv.photo, `facediv reconstruct`): how long it takes, and whether the judges see the same person.

1. Timing: `facediv reconstruct astronaut.png -o OUT` as a user runs it (a fresh process each time, wall clock;
   the first run with an empty cache, then the median of --repeats; labels estimated by the judges), with the
   default format (GLB) and with GLB + OBJ, and the `before` code (--base) in the same run, taking turns: the
   ratio holds on a noisy machine when the seconds do not. Plus the per-step seconds the asset records.
2. Likeness: the two calibration photos shipped in installed packages (skimage's astronaut, matplotlib's Grace
   Hopper; both public domain) become assets with their documented labels. Each asset is rendered frontally
   under the render set-up the perceive stage calibrated on these photos (metrics/perceive.json); FaceRes and MobileFace descriptors compare each photo with its own
   render and with renders of other people (the other photo's asset and generated faces): the random-pair level.
   FaceRes' perceived gender and age of photo and render are compared too (same verdict, same 5-year age band),
   and of the asset made without the normaliser (the photo's shading left in) and with all of the normaliser's
   change (shading_sigma 0), to show what delighting changes. The same choice is scored where the truth is
   known: the normalize stage's procedural test faces against their true albedo (in_domain_delighting).
3. Edits of a real person: age, gender and ethnicity edits (`facediv.photo.edit_photo_face`), each scored by the
   generator issue's identity retention (sim(edit) − sim(random)) / (sim(6° turn) − sim(random)) on MobileFace
   and FaceRes descriptors of frontal renders, and by the perceived age/gender change.

Needs the trained pipeline (models/, data/scans) and the judges (tools/judge). Writes bench/results/photo.json and
bench/results/photo.png. Not a test.

    python bench/photo.py [--repeats 5] [--generated 12]
"""
import argparse, json, os, statistics, subprocess, sys, tempfile, time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from asset import base_checkout  # noqa: E402   (a clean `git archive` of the `before` package)

ROOT = Path(__file__).resolve().parents[1]
LABELS = {'astronaut': ('Northern European', '35-39', 'female'),      # Eileen Collins, born 1956, photographed 1992
          'grace_hopper': ('Northern European', '75+', 'female')}     # Grace Hopper, 78 in the 1984 portrait
EDITS = {'age': {'astronaut': {'age': '70-74'}, 'grace_hopper': {'age': '35-39'}},
         'gender': {'astronaut': {'gender': 'male'}, 'grace_hopper': {'gender': 'male'}},
         'ethnicity': {'astronaut': {'ethnicity': 'West African'}, 'grace_hopper': {'ethnicity': 'East Asian'}}}
SIGMA_VARIANTS = {'full_normaliser': 0., 'smooth_1/32': 1 / 32, 'smooth_1/8': 1 / 8}   # beside the default (1/16): facediv.photo.smooth_shading

BASE = '2d974ad'   # the code before the speed work on this path (smooth shading, fit tolerance, kept scan bank, quick exit)

def time_cli(photo:Path, repeats:int, variants:dict) -> dict:
    """Wall seconds of `facediv reconstruct photo` in a fresh process, per variant {name: (code folder, extra args)},
    the variants taking turns so that a busy moment of the machine hits all of them: the first run with an empty
    cache (the scan bank is kept there, see facediv.photo.cache_dir), then the median of `repeats` runs, with their
    per-step seconds. Models, scans and judges are this checkout's, named by absolute path."""
    paths = ['--normalizer', ROOT/'models/train_normalizer', '--scans', ROOT/'data/scans', '--translators', ROOT/'models/translate', '--sr', ROOT/'models/sr']
    walls, steps, written = {v: [] for v in variants}, {v: [] for v in variants}, {}
    caches = {v: tempfile.mkdtemp(prefix='facediv-bench-cache-') for v in variants}
    judges = os.environ.get('FACEDIV_JUDGE_MODELS') or str(ROOT/'tools/judge/human-models/models')
    for _ in range(repeats + 1):
        for v, (code, extra) in variants.items():
            env = {**os.environ, 'FACEDIV_CACHE': caches[v], 'FACEDIV_JUDGE_MODELS': judges}
            with tempfile.TemporaryDirectory() as out:
                t = time.perf_counter()
                r = subprocess.run([sys.executable, '-m', 'facediv.cli', 'reconstruct', str(photo), '-o', out, '-q', *map(str, paths), *extra],
                                   capture_output=True, text=True, cwd=code, env=env)   # cwd: `-m` imports facediv from there
                walls[v].append(time.perf_counter() - t)
                if r.returncode: raise SystemExit(f"facediv reconstruct ({v}) failed:\n{r.stderr}")
                steps[v].append(json.loads((Path(out)/photo.stem/f'{photo.stem}.json').read_text())['seconds'])
                if code == ROOT and v not in written: written[v] = glb_check(Path(out)/photo.stem/f'{photo.stem}.glb')   # the same bytes each run: checked once
    out = {}
    for v in variants:
        w, s = walls[v][1:], steps[v][1:]
        out[v] = {'first_run_s': round(walls[v][0], 3), 'wall_s_median': round(statistics.median(w), 3), 'wall_s': [round(x, 3) for x in w],
                  'steps_s_median': {k: round(statistics.median(x[k] for x in s), 3) for k in s[0]}}
        if v in written: out[v]['glb'] = written[v]
    return out

def glb_check(path:Path) -> dict:
    "What the issue asks of the written GLB: the Khronos glTF-Validator's errors and warnings, and the morph targets."
    import pygltflib
    g = pygltflib.GLTF2().load(str(path))
    targets = max(len(p.targets or []) for m in g.meshes for p in m.primitives)
    proc = subprocess.run(['node', str(ROOT/'tools/gltf-validator/validate.js'), str(path)], capture_output=True, text=True, timeout=300)
    issues = json.loads(proc.stdout)['issues'] if proc.returncode == 0 else None
    return {'mb': round(path.stat().st_size / 1e6, 2), 'morph_targets': targets,
            'validator_errors': None if issues is None else issues['numErrors'], 'validator_warnings': None if issues is None else issues['numWarnings'],
            'validator': 'ran' if issues is not None else f'not run: {proc.stderr.strip()[-200:]}'}

def in_domain_delighting(fractions=(0., 1 / 32, 1 / 16, 1 / 8)) -> dict:
    """The normaliser's full output against `smooth_shading` at each sigma (fraction of the tile), where the truth is
    known: the normalize stage's scored faces (procedural portraits, the normaliser's own domain) against their true
    albedo, on observed face texels, as metrics/normalize.json scores them. Plus the lit input ('none')."""
    from facediv.normalize import NORMALIZE_SCHEMA, portrait_albedo_lookup
    from facediv.core import iter_shards, read_manifest, rng, load_params
    from facediv.relight import evaluate_methods
    from facediv.photo import smooth_shading
    from facediv.template import uv_raster
    cfg = load_params('normalize', NORMALIZE_SCHEMA, ROOT/'params.yaml')
    lookup, reason = portrait_albedo_lookup(ROOT/'data/portraits')
    if lookup is None: return {'computed': False, 'reason': reason}
    n = read_manifest(ROOT/'data/normalize', 'normalize')['n_items']
    scored = np.zeros(n, bool); scored[rng(cfg.seed, 'eval_faces').permutation(n)[:cfg.eval_faces or n]] = True
    parts, start = [], 0
    for shard in iter_shards(ROOT/'data/normalize', 'normalize'):
        sel = scored[start:start + len(shard['face_id'])]; start += len(sel)
        if not sel.any(): continue
        shard = {k: v[sel] for k, v in shard.items()}
        gt, out = lookup(shard['face_id']), shard['uv_albedo'].astype(np.float32)
        r = uv_raster(out.shape[2])
        methods = {'none': lambda x, nn: x}
        methods.update({f'{f:g}': (lambda x, nn, f=f: np.stack([smooth_shading(a, b, r, f) for a, b in zip(x, out)])) for f in fractions})
        seen = shard['uv_confidence'][:, 0].astype(np.float32) > 0.5
        parts.append(evaluate_methods(methods, shard['uv_texture'].astype(np.float32), gt, shard['attributes'], masks=seen, chunk=len(gt))['scores'])
    mean = lambda m, k: round(float(np.concatenate([p[m][k] for p in parts]).mean()), 3)
    return {'computed': True, 'n_faces': int(scored.sum()), 'note': "sigma as a fraction of the UV tile; '0' = the normaliser's full output",
            'psnr': {m: mean(m, 'psnr') for m in parts[0]}, 'ssim': {m: mean(m, 'ssim') for m in parts[0]}}

def render_condition() -> str:
    "The render set-up the perceive stage calibrated against real photos (metrics/perceive.json), else 'soft/face'."
    try: return json.loads((ROOT/'metrics'/'perceive.json').read_text())['calibration']['render_condition']
    except (OSError, KeyError, ValueError): return 'soft/face'

def front(vertices, albedo_srgb, yaw:float=0., size:int=256) -> np.ndarray:
    "[size,size,3] uint8 frontal render under the calibrated render set-up (face framing, as the judges were calibrated)."
    from facediv.render import render, Textures, named_view
    from facediv.judge import render_conditions, exposed
    lighting, _, exposure = render_conditions()[render_condition()]
    cam = named_view(size=size, fov=12., margin=0.6, yaw=yaw)
    rgb = render(vertices, Textures(albedo_srgb), cam, exposed(lighting, exposure), background=0.5)['rgb']
    return (rgb * 255 + 0.5).clip(0, 255).astype(np.uint8)

def cos(a, b): return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--repeats', type=int, default=5)
    ap.add_argument('--generated', type=int, default=12, help='generated faces for the random-pair level')
    ap.add_argument('--base', default=BASE, help='git revision of the `before` code in the timing')
    args = ap.parse_args()
    import torch
    torch.set_num_threads(1)
    from PIL import Image
    from facediv.judge import calibration_photos, judge_faces, judges_unavailable
    from facediv.photo import load_photo_models, photo_asset, edit_photo_face
    from facediv.generate import generate, load_model
    from facediv.core import linear_to_srgb
    from facediv.taxonomy import Attributes, age_group_of
    if (why := judges_unavailable()): raise SystemExit(f"judges unavailable: {why}")
    res = {'machine': {'cpus': __import__('os').cpu_count(), 'torch_threads': 1}, 'render_condition': render_condition()}
    photos = calibration_photos(512)
    with tempfile.TemporaryDirectory() as d:
        p = Path(d)/'astronaut.png'; Image.fromarray(photos['astronaut']).save(p)
        base = base_checkout(args.base)
        res['timing'] = time_cli(p, args.repeats, {'before (glb)': (base, ()), 'default (glb)': (ROOT, ()),
                                                   'glb,obj': (ROOT, ('--format', 'glb,obj'))})
        res['timing_base'] = args.base
    print('timing', json.dumps(res['timing']))
    models = load_photo_models(ROOT/'models/train_normalizer', ROOT/'data/scans', ROOT/'models/translate', ROOT/'models/sr')
    gm = load_model(ROOT/'models/train_step2/model.safetensors')
    assets, arrays, records = {}, {}, {}
    unnormalised, variants = {}, {}
    for name in LABELS:
        assets[name], records[name], arrays[name] = photo_asset(photos[name], *LABELS[name], name=name, models=models)
        a, _, _ = photo_asset(photos[name], *LABELS[name], name=name, models={**models, 'normalizer': None})   # what normalisation changes
        unnormalised[name] = front(a.vertices, a.albedo)
        for key, sigma in SIGMA_VARIANTS.items():                   # all of the normaliser's change, and other smoothings
            a, _, _ = photo_asset(photos[name], *LABELS[name], name=name, models=models, shading_sigma=sigma)
            variants[key, name] = front(a.vertices, a.albedo)
    # Renders: each photo's asset (front, 6° turn), its edits, and other people (generated faces).
    gen = generate(n=args.generated, seed=123, mesh=True, model=gm)
    others = [front(v, linear_to_srgb(a)) for v, a in zip(gen['vertices'], gen['albedo'])]
    renders, turned, edited = {}, {}, {}
    for name, a in assets.items():
        renders[name] = front(a.vertices, a.albedo); turned[name] = front(a.vertices, a.albedo, yaw=6.)
        for kind, changes in EDITS.items():
            alb, verts, attrs = edit_photo_face(arrays[name], Attributes(*LABELS[name]), model=gm, **changes[name])
            edited[name, kind] = front(verts, linear_to_srgb(alb))
    names = list(LABELS)
    images = ([photos[n] for n in names] + [renders[n] for n in names] + [turned[n] for n in names]
              + [edited[n, k] for n in names for k in EDITS] + others + [unnormalised[n] for n in names] + list(variants.values()))
    j = judge_faces(images, models=('faceres', 'mobileface'))
    idx = {}
    for i, key in enumerate([('photo', n) for n in names] + [('render', n) for n in names] + [('turned', n) for n in names]
                            + [('edit', n, k) for n in names for k in EDITS] + [('other', i) for i in range(len(others))]
                            + [('unnormalised', n) for n in names] + list(variants)):
        idx[key] = i
    assert j['detected'].all(), f"undetected: {[k for k, i in idx.items() if not j['detected'][i]]}"
    likeness, edits = {}, {}
    for desc in ('mobileface_descriptor', 'faceres_descriptor'):
        D = j[desc]
        s = lambda a, b: cos(D[idx[a]], D[idx[b]])
        for n in names:
            strangers = [('render', m) for m in names if m != n] + [('other', i) for i in range(len(others))]
            rand_photo = float(np.mean([s(('photo', n), o) for o in strangers]))
            rand_render = float(np.mean([s(('render', n), o) for o in strangers]))
            own, turn = s(('photo', n), ('render', n)), s(('render', n), ('turned', n))
            likeness.setdefault(n, {})[desc.split('_')[0]] = {
                'photo_vs_own_render': round(own, 4), 'photo_vs_others_mean': round(rand_photo, 4),
                'photo_vs_others_max': round(max(s(('photo', n), o) for o in strangers), 4),
                'rank_of_own_render': 1 + sum(s(('photo', n), o) > own for o in strangers), 'candidates': 1 + len(strangers)}
            for k in EDITS:
                e = s(('render', n), ('edit', n, k))
                edits.setdefault(n, {}).setdefault(k, {})[desc.split('_')[0]] = {
                    'sim_edit': round(e, 4), 'sim_turn6': round(turn, 4), 'sim_random': round(rand_render, 4),
                    'retention': round((e - rand_render) / (turn - rand_render), 3)}
    for n in names:
        pm, age = j['faceres_male'], j['faceres_age']
        likeness[n]['perceived'] = {w: {'p_male': round(float(pm[idx[(w, n)]]), 3), 'age': round(float(age[idx[(w, n)]]), 1)}
                                    for w in ('photo', 'render', 'unnormalised', *SIGMA_VARIANTS)}
        for k in EDITS:
            i = idx[('edit', n, k)]
            edits[n][k]['perceived'] = {'p_male': round(float(pm[i]), 3), 'age': round(float(age[i]), 1),
                                        'p_male_before': round(float(pm[idx[('render', n)]]), 3), 'age_before': round(float(age[idx[('render', n)]]), 1)}
        seen = likeness[n]['perceived']
        likeness[n]['perceived_match'] = {
            'gender': (seen['photo']['p_male'] >= 0.5) == (seen['render']['p_male'] >= 0.5),
            'age_band': age_group_of(min(max(seen['photo']['age'], 15), 99)) == age_group_of(min(max(seen['render']['age'], 15), 99)),
            'age_bands': [age_group_of(min(max(seen[w]['age'], 15), 99)) for w in ('photo', 'render')]}
        likeness[n]['photo_fraction'] = records[n]['photo_fraction']
    res['delighting_in_domain'] = in_domain_delighting()
    print('in-domain delighting', res['delighting_in_domain'])
    res.update(likeness=likeness, edits=edits, labels={n: list(v) for n, v in LABELS.items()},
               edit_changes={k: v for k, v in EDITS.items()}, generated_others=len(others))
    out = ROOT/'bench'/'results'
    (out/'photo.json').write_text(json.dumps(res, indent=1) + '\n')
    # Figure: per photo, the photo, its asset's front render, and the three edits.
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    fig, ax = plt.subplots(len(names), 5, figsize=(11, 2.4 * len(names)))
    for r, n in enumerate(names):
        from facediv.judge import face_box
        x0, y0, x1, y1 = face_box(photos[n], n, 1.7).astype(int)
        crop = photos[n][max(y0, 0):y1, max(x0, 0):x1]
        for c, (img, title) in enumerate([(crop, 'photo'), (renders[n], 'asset (front)')] +
                                         [(edited[n, k], f"{k} edit: {list(EDITS[k][n].values())[0]}") for k in EDITS]):
            ax[r, c].imshow(img); ax[r, c].set_title(title, fontsize=9); ax[r, c].axis('off')
    plt.tight_layout(); fig.savefig(out/'photo.png', dpi=80); plt.close(fig)
    print(json.dumps({'likeness': likeness, 'edits': edits}, indent=1))

if __name__ == '__main__': main()
