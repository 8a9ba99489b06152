"""How much identity can an edit keep on this data, as the judges see it? (issue 16's retention goals)

Four measurements, on the judged chapter's set-up (calibrated light, 256-px renders of the 64² network view,
MobileFace and FaceRes descriptors, retention against a 6° re-render and random pairs, `facediv.judged`):

1. `prior_swap`: the generator's edits G2(z, new) next to G2(z, source) − prior(source) + prior(new), the edit
   that changes the linear label prior only. Equal figures mean the generator already keeps everything but the
   prior, so its retention is the prior's to give.
2. `oracle`: held-out procedural scans edited in the data-generating process itself: their own identity
   coefficients moved by the difference of the two labels' mean shapes (`portraits.label_mean_identity`), their
   own albedo kept. This is the same person with another label, as the data defines a person; `scale` 0.5 moves
   half way.
3. `sensitivity`: which channels the descriptors read: the scans with their albedo or offsets blurred, or
   replaced by the sample's mean.
4. `encode_refined`: the encode path's ceiling in the generator's range: E(x), then the code (`z`) or the
   per-layer w (`w+`) optimised for the L1 of G2's output against x.

Needs the dvc repro outputs (models/train_step2, data/scans, metrics/perceive.json) and the judge models. Not a test.

    python bench/edit_ceiling.py            # -> bench/results/edit_ceiling.json
    python bench/edit_ceiling.py --parts encode_refined   # one measurement again, the other rows kept
"""
import argparse, json, time
from pathlib import Path

import numpy as np
import torch
from scipy.ndimage import gaussian_filter

from facediv.core import load_npz, read_manifest
from facediv.dataset import stack_channels, split_channels
from facediv.generate import load_model, synthesize, face_codes, encode, refine_codes
from facediv.judged import (EDIT_KINDS, judged_lighting, network_view, edit_labels_for, edit_change, edit_retention,
                            _judged_triplet)
from facediv.portraits import label_mean_identity
from facediv.taxonomy import AGE_GROUPS, Attributes, one_hot

ROOT = Path(__file__).resolve().parents[1]
PARTS = ('prior_swap', 'oracle', 'sensitivity', 'encode_refined')

def judged_pair(src:dict, new:dict, lighting, kind:str|None=None, headline:dict|None=None) -> dict:
    "Retention per descriptor (and the judged change for an edit `kind`) of `new` against `src`."
    j = _judged_triplet(src, new, lighting, 256, 1.5, True)['judged']
    out = {'retention': {k: v['retention'] for k, v in edit_retention(j['source'], j['turned'], j['edit']).items()}}
    if kind: out['change'] = edit_change(kind, j['source'], j['edit'], src['labels'], new['labels'], headline)
    return out

def prior_swap(gm, lighting, headline, n:int) -> dict:
    "The generator's edits and the prior-only edits of the same codes, judged alike."
    codes, out = face_codes(2, 0, n, gm.z_dim), {}
    prior = lambda l: gm.G.prior(torch.from_numpy(one_hot(l))).numpy()
    for kind in EDIT_KINDS:
        src_l, new_l = edit_labels_for(kind, n, 0)
        src, edited = synthesize(gm, codes, src_l), synthesize(gm, codes, new_l)
        x = stack_channels(src['albedo'], src['offsets'], gm.offset_scale) - prior(src_l) + prior(new_l)
        swapped = dict(zip(('albedo', 'offsets'), split_channels(x, gm.offset_scale)), labels=new_l)
        out[kind] = {name: judged_pair(src, e, lighting, kind, headline) for name, e in (('generator', edited), ('prior_swap', swapped))}
    return out

def test_scans(scans_dir) -> dict:
    "The held-out procedural scans: ground-truth albedo, identity, labels, and the portraits config that made them."
    man, keep = read_manifest(scans_dir, 'portraits'), {'gt_albedo': [], 'gt_identity': [], 'attributes': []}
    for e in man['shards']:
        a = load_npz(Path(scans_dir)/e['file'], 'portraits', keys=('is_test', *keep))
        for k in keep: keep[k].append(a[k][a['is_test'].astype(bool)])
    return {k: np.concatenate(v) for k, v in keep.items()} | {'config': man['config']['scans']}

def oracle(scans:dict, lighting, headline, n:int, res:int) -> dict:
    "Scans moved to the other sex, or from ≤ 34 years to 70–74, by their labels' mean-shape difference (`scale` of it)."
    labels = scans['attributes'].astype(np.int64)
    mean_shape = lambda l: label_mean_identity(Attributes.decode(l), scans['config'])
    def run(kind, idx, new, scale=1.0):
        ids = scans['gt_identity'][idx].astype(np.float64)
        moved = ids + scale * np.stack([mean_shape(b) - mean_shape(a) for a, b in zip(labels[idx], new)])
        albedo = scans['gt_albedo'][idx].astype(np.float32)
        (a0, o0), (_, o1) = (network_view(albedo, i.astype(np.float32), res) for i in (ids, moved))
        return {'n': len(idx), 'scale': scale, **judged_pair({'albedo': a0, 'offsets': o0, 'labels': labels[idx]},
                                                            {'albedo': a0, 'offsets': o1, 'labels': new}, lighting, kind, headline)}
    sexed = np.flatnonzero(labels[:, 2] < 2)[:n]
    other = labels[sexed].copy(); other[:, 2] = 1 - other[:, 2]
    young = np.flatnonzero(labels[:, 1] <= AGE_GROUPS.index('30-34'))[:n]
    old = labels[young].copy(); old[:, 1] = AGE_GROUPS.index('70-74')
    return {'gender': run('gender', sexed, other), 'gender_half': run('gender', sexed, other, 0.5), 'age': run('age', young, old)}

def sensitivity(src:dict, lighting) -> dict:
    "Retention of the scans with one kind of channel blurred (σ in texels at 64²) or replaced by the sample mean."
    a, o = src['albedo'], src['offsets']
    mean = lambda m: np.broadcast_to(m.mean(0), m.shape).copy()
    variants = {f'albedo_blur_{s}': (gaussian_filter(a, (0, 0, s, s, 0)), o) for s in (0.7, 1.5, 3)}
    variants |= {f'offsets_blur_{s}': (a, gaussian_filter(o, (0, 0, s, s, 0))) for s in (0.7, 1.5, 3)}
    variants |= {'albedo_of_mean': (mean(a), o), 'offsets_of_mean': (a, mean(o))}
    return {k: judged_pair(src, {'albedo': va, 'offsets': vo, 'labels': src['labels']}, lighting)['retention'] for k, (va, vo) in variants.items()}

def encode_refined(gm, src:dict, lighting, steps:dict) -> dict:
    "The encode path (E alone) and E(x) refined by Adam on the L1 to x in z (`generate.refine_codes`, what `edit` runs) or in per-layer w, judged alike."
    x, c = torch.from_numpy(stack_channels(src['albedo'], src['offsets'], gm.offset_scale)), torch.from_numpy(one_hot(src['labels']))
    z0 = torch.from_numpy(encode(src['albedo'], src['offsets'], gm))
    for p in gm.G.parameters(): p.requires_grad_(False)
    def fit(space, n_steps):
        if space == 'z':
            z = refine_codes(gm, z0.numpy(), src['albedo'], src['offsets'], src['labels'], n_steps)
            with torch.no_grad(): return gm.G(torch.from_numpy(z), c, noise_mode='const')
        with torch.no_grad(): start = gm.G.mapping(z0, c)
        v = start.clone().requires_grad_(True)
        opt, prior = torch.optim.Adam([v], lr=0.01), gm.G.prior(c)
        make = lambda: gm.G.synthesis(v, noise_mode='const') + prior
        for _ in range(n_steps):
            loss = (make() - x).abs().mean()
            opt.zero_grad(); loss.backward(); opt.step()
        with torch.no_grad(): return make()
    out = {}
    for space, n_steps in [('encoder', 0)] + list(steps.items()):
        t = time.time()
        with torch.no_grad(): img = gm.G(z0, c, noise_mode='const') if space == 'encoder' else None
        img = fit(space, n_steps) if img is None else img
        seconds = time.time() - t
        a, o = split_channels(img, gm.offset_scale)
        out[space] = {'steps': n_steps, 'seconds': round(seconds, 1), 'l1': round(float((img - x).abs().mean()), 4),
                      **judged_pair(src, {'albedo': a, 'offsets': o, 'labels': src['labels']}, lighting)}
    return out

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--model', default=str(ROOT/'models/train_step2/model.safetensors'))
    ap.add_argument('--n', type=int, default=24, help='faces per measurement (the evaluate stage judges 24 per edit)')
    ap.add_argument('--parts', nargs='*', default=list(PARTS), choices=PARTS, help='measure these only; the others keep their stored rows')
    a = ap.parse_args()
    torch.set_num_threads(2)
    gm = load_model(a.model)
    lighting, condition, _, headline = judged_lighting(ROOT/'metrics/perceive.json')
    scans = test_scans(ROOT/'data/scans')
    idx = np.unique(np.linspace(0, len(scans['attributes']) - 1, a.n).astype(int))         # as `judged.held_out_scans`
    albedo, offsets = network_view(scans['gt_albedo'][idx].astype(np.float32), scans['gt_identity'][idx], gm.resolution, gm.offset_scale)
    held = {'albedo': albedo, 'offsets': offsets, 'labels': scans['attributes'][idx].astype(np.int64)}
    path = ROOT/'bench'/'results'/'edit_ceiling.json'
    res = (json.loads(path.read_text()) if path.exists() else {}) | {'what': __doc__.split('\n\n')[0], 'render_condition': condition, 'n': a.n, 'model': a.model}
    run = {'prior_swap': lambda: prior_swap(gm, lighting, headline, a.n),
           'oracle': lambda: oracle(scans, lighting, headline, 32, gm.resolution),
           'sensitivity': lambda: sensitivity(held, lighting),
           'encode_refined': lambda: encode_refined(gm, held, lighting, {'z': 200, 'w+': 300})}
    res |= {part: run[part]() for part in a.parts}
    path.write_text(json.dumps(res, indent=1))
    print(json.dumps({k: res[k] for k in a.parts}, indent=1))
