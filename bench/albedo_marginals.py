"""Does the albedo head lose the data's "have or lack" features (white beards, lipstick) because it draws Gaussian
coefficients? (issue 16; a lever measured and not adopted at stop 48)

The default generator's albedo is the label prior plus the fixed albedo head: per gender set, 192 of the data's
principal directions weighed by code entries z ~ N(0, 1) times a per-label s.d. (gan chapter); the synthesis network
draws no albedo. This bench

1. projects the 1000 normalized training faces onto those directions (`Generator.head_codes`, least squares) and
   reports how far the entries' marginal distributions are from N(0, 1) per set (skewness, excess kurtosis);
2. judges the generator twice in one run with `judged.judged_generator` (the evaluate stage's measurement, same seeds):
   as trained, and with each entry drawn from the data's own marginal instead (a monotone piecewise-linear map of
   z onto the data's quantiles, per set and direction; post hoc, which is exact here since no trained layer reads
   the albedo entries).

Needs the dvc repro outputs (models/train_step2, data/normalize, data/scans, metrics/perceive.json) and the judges.

    python bench/albedo_marginals.py        # -> bench/results/albedo_marginals.json (about 6 min on 2 cores)
"""
import argparse, json, time
from pathlib import Path

import numpy as np
import torch
from scipy.stats import kurtosis, norm, skew

from facediv.dataset import one_hot
from facediv.generate import asset_image, load_model
from facediv.judged import judged_generator, network_view
from facediv.perceive import sample_shards

GRID = np.linspace(-3.5, 3.5, 57)   # z at which the data's quantiles are read (Φ(±3.5): the extremes of ~450 faces)

def data_entries(gm, data_dir) -> tuple:
    "(entries [n,A] of the training faces along their set's directions, in units of the label's s.d.; set of each face [n])."
    s = sample_shards(data_dir, 'normalize', ('uv_albedo', 'identity'), 0, 0)
    albedo, offsets = network_view(s['uv_albedo'].astype(np.float32), s['identity'], gm.resolution, gm.offset_scale)
    G = gm.G
    with torch.no_grad():
        x = asset_image(gm, albedo, offsets); c = torch.from_numpy(one_hot(s['attributes'].astype(np.int64))).to(x)
        codes = G.head_codes(x - G.prior(c), c, (0., 0.))
        return codes[:, G.albedo_start:G.albedo_start + G.albedo_components].numpy(), G.albedo_scales(c)[1].argmax(1).numpy()

def marginal_map(G, entries:np.ndarray, sets:np.ndarray):
    "Patch G so that its albedo entries follow the data's marginals: z → Q_set,direction(Φ(z)). Returns the undo."
    tables = torch.from_numpy(np.stack([np.quantile(entries[sets == k], norm.cdf(GRID), axis=0).T
                                        for k in range(G.albedo_sets)]).astype(np.float32))        # [S,A,K]
    a0, A, step, current = G.albedo_start, G.albedo_components, GRID[1] - GRID[0], {}
    original, cls = G.head_input, type(G)
    forward, texture = cls.forward, cls.albedo_texture
    def head_input(z, psi=1):
        out = original(z, psi)
        if len(current.get('sets', ())) != len(z): return out
        pos = ((out[:, a0:a0 + A].clamp(GRID[0], GRID[-1]) - GRID[0]) / step)
        i = pos.floor().long().clamp(0, len(GRID) - 2); t = pos - i
        table = tables[current['sets']]                                                            # [N,A,K]
        lo, hi = table.gather(2, i[..., None])[..., 0], table.gather(2, (i + 1)[..., None])[..., 0]
        out = out.clone(); out[:, a0:a0 + A] = lo + t * (hi - lo)
        return out
    def remember(c): current['sets'] = G.albedo_scales(c)[1].argmax(1)
    G.head_input = head_input
    cls.forward = lambda self, z, c, *a, **k: (remember(c), forward(self, z, c, *a, **k))[1]
    cls.albedo_texture = lambda self, img, z, c, *a, **k: (remember(c), texture(self, img, z, c, *a, **k))[1]
    def undo(): del G.head_input; cls.forward, cls.albedo_texture = forward, texture
    return undo

def entry_shape(e:np.ndarray) -> dict:
    "How far one set's entries [n,A] are from N(0, 1): skewness and excess kurtosis over its directions (constant ones, which the set does not use, left out)."
    used = e.std(0) > 1e-6
    sk, ku = skew(e[:, used], 0), kurtosis(e[:, used], 0)
    r = lambda x: round(float(x), 3)
    return {'n': len(e), 'directions_used': int(used.sum()), 'mean_abs_skew': r(np.abs(sk).mean()), 'max_abs_skew': r(np.abs(sk).max()),
            'mean_excess_kurtosis': r(ku.mean()), 'max_excess_kurtosis': r(ku.max())}

def summary(m:dict) -> dict:
    "The goals' values and intervals, and perceived age per age group and women read as women, of one judged run."
    return {'goals': {r['measure']: {'value': r['value'], 'ci': r['ci'], 'verdict': r['verdict']} for r in m['goals']},
            'generated_mean_age': {a: v['faceres_mean_age'] for a, v in m['generated']['by_age'].items()},
            'women_read_as_women': {s: m[s]['by_gender']['female']['faceres_gender_accuracy'] for s in ('data', 'generated')}}

if __name__ == '__main__':
    ap = argparse.ArgumentParser(); ap.add_argument('--out', default='bench/results/albedo_marginals.json'); args = ap.parse_args()
    gm = load_model('models/train_step2/model.safetensors')
    entries, sets = data_entries(gm, 'data/normalize')
    shape = {int(k): entry_shape(entries[sets == k]) for k in range(gm.G.albedo_sets)}
    kw = dict(perceive_metrics='metrics/perceive.json', scans_dir='data/scans', per_ethnicity=20, n_edit=24, render_size=256,
              box_scale=1.5, flip=True, log=lambda s: None)
    rows = {}
    for name in ('gaussian', 'data_marginals'):
        undo = marginal_map(gm.G, entries, sets) if name == 'data_marginals' else (lambda: None)
        try: t = time.time(); rows[name] = summary(judged_generator(gm, 'data/normalize', f'/tmp/albedo_marginals/{name}', **kw)) | {'seconds': round(time.time() - t, 1)}
        finally: undo()
        print(name, json.dumps(rows[name]['goals']), flush=True)
    out = {'what': __doc__.split('\n')[0], 'entries_by_set': shape, 'rows': rows}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True); Path(args.out).write_text(json.dumps(out, indent=1))
