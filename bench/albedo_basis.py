"""What the generator's albedo head spans on the committed data (`TrainingSet.albedo_basis`, the gan chapter).

For the whole albedo residual and for its high-pass (sigma 2 texels): the share of the residual's variance that
the K leading directions hold, and how much the leading directions' s.d. differs between the labels (the reason the
head's s.d. is per label). Needs data/normalize (dvc repro normalize). Not a test.

    python bench/albedo_basis.py          # -> bench/results/albedo_basis.json
"""
import json
from pathlib import Path

import numpy as np
import yaml

from facediv.dataset import prepare_training_set
from facediv.taxonomy import AGE_GROUPS, GENDERS, one_hot

ROOT = Path(__file__).resolve().parents[1]

if __name__ == '__main__':
    p = yaml.safe_load((ROOT/'params.yaml').read_text())['train_step1']
    ts = prepare_training_set(ROOT/'data/normalize', ROOT/'bench/work/albedo_basis', resolution=p['resolution'], offset_scale=p['offset_scale'])
    mean, effects = ts.label_prior(p['resolution'], p['prior_ridge'])
    x = np.asarray(ts.images[:], np.float64)
    r = x - mean.double().numpy()[None] - np.einsum('nk,kchw->nchw', one_hot(ts.labels), effects.double().numpy())
    r.reshape(len(r), 2, 6, -1)[:, :, 3:] = 0                                        # albedo only
    from facediv.dataset import _gaussian_blur
    out = {'what': __doc__.split('\n\n')[0], 'faces': len(ts), 'resolution': p['resolution']}
    for name, highpass in (('whole', 0.0), ('highpass_2', 2.0)):
        rr = r.copy()
        if highpass: rr.reshape(len(r), 2, 6, p['resolution'], p['resolution'])[:, :, :3] -= _gaussian_blur(rr.reshape(len(r), 2, 6, p['resolution'], p['resolution'])[:, :, :3], highpass)
        total = float((rr ** 2).sum())
        D = ts.albedo_basis(mean, effects, 192, highpass=highpass, max_faces=len(ts))[0][0]
        coef = rr.reshape(len(rr), -1) @ D.double().reshape(192, -1).numpy().T          # [n,192]
        held = np.cumsum((coef ** 2).sum(0)) / total
        sd = lambda rows: np.sqrt((coef[rows, :8] ** 2).mean(0))
        men, women = ts.labels[:, 2] == GENDERS.index('male'), ts.labels[:, 2] == GENDERS.index('female')
        young, old = ts.labels[:, 1] == 0, ts.labels[:, 1] == len(AGE_GROUPS) - 1
        out[name] = {'highpass_sigma': highpass, 'variance_held': {k: round(float(held[k - 1]), 3) for k in (32, 64, 128, 192)},
                     'sd_ratio_men_women_leading8': np.round(sd(men) / sd(women), 2).tolist(),
                     f'sd_ratio_{AGE_GROUPS[0]}_{AGE_GROUPS[-1]}_leading8': np.round(sd(young) / sd(old), 2).tolist()}
    # One set per gender (the default): each gender's own PCA; the share of that gender's variance its 192 directions hold,
    # and the share the pooled set's 192 directions hold of it.
    Dg = ts.albedo_basis(mean, effects, 192, max_faces=len(ts), by='gender')[0].double().reshape(len(GENDERS), 192, -1).numpy()
    flat = r.reshape(len(r), -1)
    pooled = ts.albedo_basis(mean, effects, 192, max_faces=len(ts))[0][0].double().reshape(192, -1).numpy()
    out['by_gender'] = {}
    for g, name in enumerate(GENDERS):
        rows = ts.labels[:, 2] == g
        own = ((flat[rows] @ Dg[g].T) ** 2).sum() / (flat[rows] ** 2).sum()
        out['by_gender'][name] = {'faces': int(rows.sum()), 'variance_held_own_192': round(float(own), 3),
                                  'variance_held_by_pooled_192': round(float(((flat[rows] @ pooled.T) ** 2).sum() / (flat[rows] ** 2).sum()), 3)}
    (ROOT/'bench/results/albedo_basis.json').write_text(json.dumps(out, indent=1))
    print(json.dumps(out, indent=1))
