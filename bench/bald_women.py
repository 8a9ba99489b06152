"""Where do bald women lose "female"? (issue 15: bald-asset gender; issue 16 inherits it through the data)

The perceive stage's asset view (20 data faces per ethnicity, the calibrated render set-up, FaceRes with flips)
reads 45 % of the data's bald women as women. The portraits are procedural, so each face's ground truth is known:
this bench renders the same 280 faces from each stage of the pipeline, one substitution at a time,

- albedo: the portrait's ground truth, the completed lit texture (before normalization), the normalized albedo
  (what the GAN learns), and normalizer runs given other UV normals (the ground-truth shape's, the template's);
- shape: the ground-truth identity, or the one `reconstruct` fitted from landmarks (what the GAN learns);
- detail hybrids in log albedo: one side's low-pass (Gaussian, `--sigma` texels at 256²) with the other's detail,

and reports the share read as their label (Wilson intervals), for women by age band. Needs the dvc repro outputs
(data/portraits, data/complete, data/normalize, models/train_normalizer, metrics/perceive.json) and the judges.

    python bench/bald_women.py      # -> bench/results/bald_women.json and .png (about 4 min on 2 cores)
"""
import argparse, json, time
from pathlib import Path
import numpy as np
import torch
from scipy.ndimage import gaussian_filter
from facediv.judge import judge_faces
from facediv.judged import judged_lighting
from facediv.normalizer import load_model, normalize_textures
from facediv.perceive import AGE_BANDS, age_statistic, face_figures, sample_shards
from facediv.recognition import render_faces
from facediv.relight import face_normals
from facediv.stats import rounded, share_interval
from facediv.taxonomy import AGE_GROUPS
from facediv.template import template_vertices

def rows_of(folder, stage:str, keys:tuple, face_ids:np.ndarray) -> dict:
    "{key: [n,...]} of the faces `face_ids` (in that order) from a sharded stage output."
    want, found = {int(i): k for k, i in enumerate(face_ids)}, {}
    for f in sorted(Path(folder).glob('shard_*.npz')):
        with np.load(f) as z:
            rows = [r for r, i in enumerate(z['face_id']) if int(i) in want]
            if rows:
                arrays = {k: z[k][rows] for k in keys}
                for j, r in enumerate(rows): found[int(z['face_id'][r])] = {k: arrays[k][j] for k in keys}
    return {k: np.stack([found[int(i)][k] for i in face_ids]) for k in keys}

def read_as_label(j:dict, att:np.ndarray) -> dict:
    "Shares read as their gender label by FaceRes (Wilson intervals; the perceive chapter's `face_figures`): all labelled, men, women, women per age band; and the age Spearman r."
    f = face_figures(j, att, {'gender': 'faceres', 'age': 'faceres'})
    right, years, women = f['gender'], f['label_age'], att[:, 2] == 1
    out = {'all': share_interval(right), 'men': share_interval(right[att[:, 2] == 0]), 'women': share_interval(right[women])}
    out |= {f'women {name}': share_interval(right[women & (years >= lo) & (years < hi)]) for name, lo, hi in AGE_BANDS}
    out = {k: rounded(v, 3) for k, v in out.items()}
    out['age_spearman'] = round(float(age_statistic(f, np.arange(len(att)))), 3)
    return out

if __name__ == '__main__':
    ap = argparse.ArgumentParser(); ap.add_argument('--sigma', type=float, default=6.0); ap.add_argument('--out', default='bench/results/bald_women.json')
    args = ap.parse_args()
    torch.set_num_threads(2)
    light = judged_lighting('metrics/perceive.json')[0]
    n = sample_shards('data/normalize', 'normalize', ('uv_albedo', 'identity', 'expression'), 20, 0)     # perceive's asset sample
    ids, att = n['face_id'], n['attributes']
    gt = rows_of('data/portraits', 'portraits', ('gt_albedo', 'gt_identity', 'gt_expression'), ids)
    lit = rows_of('data/complete', 'complete', ('uv_texture',), ids)['uv_texture'].astype(np.float32)
    gt_albedo, normalized = gt['gt_albedo'].astype(np.float32), n['uv_albedo'].astype(np.float32)
    model = load_model('models/train_normalizer', 'normalizer')
    with torch.no_grad():
        gt_normals = normalize_textures(model, lit, face_normals(gt['gt_identity'], gt['gt_expression'], lit.shape[2]))
        template_normals = normalize_textures(model, lit, None)
    log = lambda x: np.log(np.clip(x, 1e-4, 1))
    low = lambda x: gaussian_filter(x, (0, 0, args.sigma, args.sigma, 0))
    ln, lg = log(normalized), log(gt_albedo)
    # What the normalized albedo's detail holds: its high-pass against the ground truth's, and its residual against the
    # lit texture's (luminance, face tile, seen texels): the share of the ground truth's detail kept, of the shading left.
    conf = rows_of('data/normalize', 'normalize', ('uv_confidence',), ids)['uv_confidence'][:, 0].astype(np.float32) > 0.5
    high = lambda x: (lambda y: y - gaussian_filter(y, (0, args.sigma, args.sigma)))(log(x[:, 0].mean(-1)))
    hg, hn, hl = high(gt_albedo), high(normalized), high(lit)
    slope = lambda x, y, m: float(np.polyfit(x[m], y[m], 1)[0])
    detail = {'gt_detail_kept': round(float(np.mean([slope(hg[i], hn[i], conf[i]) for i in range(len(ids))])), 3),
              'gt_detail_correlation': round(float(np.mean([np.corrcoef(hg[i][conf[i]], hn[i][conf[i]])[0, 1] for i in range(len(ids))])), 3),
              'lit_shading_left': round(float(np.mean([slope(hl[i] - hg[i], hn[i] - hg[i], conf[i]) for i in range(len(ids))])), 3)}
    print('detail', detail, flush=True)
    views = {  # name: (albedo, identity)
        'ground-truth albedo, ground-truth shape': (gt_albedo, gt['gt_identity']),
        'ground-truth albedo, fitted shape': (gt_albedo, n['identity']),
        'normalized albedo, ground-truth shape': (normalized, gt['gt_identity']),
        'normalized albedo, fitted shape (the perceive stage)': (normalized, n['identity']),
        'completed lit texture (before normalization), fitted shape': (lit, n['identity']),
        'normalizer given the ground-truth shape\'s normals, fitted shape': (gt_normals, n['identity']),
        'normalizer given the template\'s normals, fitted shape': (template_normals, n['identity']),
        'normalized low-pass + ground-truth detail, fitted shape': (np.exp(low(ln) + lg - low(lg)), n['identity']),
        'ground-truth low-pass + normalized detail, fitted shape': (np.exp(low(lg) + ln - low(ln)), n['identity']),
        'normalized low-pass alone (no detail), fitted shape': (np.exp(low(ln)), n['identity'])}
    out = {'what': __doc__.split('\n')[0], 'n_faces': int(len(ids)), 'n_women': int((att[:, 2] == 1).sum()), 'sigma_texels': args.sigma,
           'judge': 'faceres (flip-averaged), the perceive stage\'s calibrated render set-up', 'detail': detail, 'rows': {}}
    shown = ['ground-truth albedo, ground-truth shape', 'ground-truth albedo, fitted shape',
             'completed lit texture (before normalization), fitted shape', 'normalized albedo, fitted shape (the perceive stage)']
    old_women = np.flatnonzero((att[:, 2] == 1) & (att[:, 1] >= AGE_GROUPS.index('60-64')))[:6]
    panels = {}
    for name, (albedo, identity) in views.items():
        t = time.time()
        images, _ = render_faces(np.clip(albedo, 0, 1).astype(np.float32), vertices=template_vertices(identity), size=256, lighting=light)
        if name in shown: panels[name] = images[old_women]
        out['rows'][name] = read_as_label(judge_faces(images, box_scale=1.5, flip=True, models=('faceres',)), att)
        r = out['rows'][name]
        print(f"{name}: all {r['all']['value']}, women {r['women']['value']} {r['women']['ci']}, age r {r['age_spearman']} ({time.time() - t:.0f} s)", flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True); Path(args.out).write_text(json.dumps(out, indent=1))
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    fig, axes = plt.subplots(len(old_women), len(shown), figsize=(2.2 * len(shown), 2.2 * len(old_women)))
    for c, name in enumerate(shown):
        for r, i in enumerate(old_women):
            axes[r, c].imshow(panels[name][r]); axes[r, c].set_xticks([]); axes[r, c].set_yticks([])
            if r == 0: axes[r, c].set_title(name.replace(', ', ',\n').replace(' (', '\n('), fontsize=7)
            if c == 0: axes[r, c].set_ylabel(f'{AGE_GROUPS[att[i, 1]]}, woman', fontsize=7)
    fig.suptitle('Bald data women aged 60+: ground truth → the pipeline (perceive\'s render set-up)', fontsize=9)
    fig.tight_layout(); fig.savefig(Path(args.out).with_suffix('.png'), dpi=80); plt.close(fig)
