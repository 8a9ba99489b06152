"""Derive facediv/third_party/judge-derived/perceived_directions.json: the directions in ICT identity space along
which a face judge trained on real photos reads procedural faces as more male, and as older (InterFaceGAN-style,
Shen et al. 2020).

N procedural women (every ethnicity and age, fixed seeds) are drawn with *no* sex difference in shape
(`sexed_shape=False`: group and age means + N(0, I) identity noise, a woman's skin, hair and cosmetics), rendered,
and judged by `faceresdeep`; a ridge regression of the judge's logit P(male) on the 100 identity coefficients gives
the sex direction (its unit vector); a ridge regression of the judge's age on the identity coefficients and the
drawn age (so that what the age mean shape and the skin already say is partialled out) gives the age direction. The judge used here is recorded as `tuned_on` in params.yaml (perceive), so it is
never the headline judge. Deterministic for a given facediv and judge version.
Run: python tools/derive_judge_directions.py [--n 400] [--judge faceresdeep]   (about 3 min on 2 cores)"""
import argparse, datetime, json, subprocess, time
from pathlib import Path
import numpy as np
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import cross_val_score
import facediv.portraits as P
from facediv.core import load_params, rng, PACKAGE_DIR
from facediv.taxonomy import Attributes, ETHNICITIES, AGE_GROUPS
from facediv.template import load_template, template_vertices
from facediv.judge import judge_faces, judges_unavailable

OUT = PACKAGE_DIR/'third_party/judge-derived/perceived_directions.json'

def sexless_women(n:int, size:int) -> tuple:
    "(images [n,size,size,3] uint8, identity [n,100], drawn ages [n]) of women drawn without any sex difference in shape."
    cfg = load_params('portraits', P.PORTRAITS_SCHEMA, 'params.yaml')
    # The published shapes only: the directions are derived without themselves (the steps they feed are off here).
    cfg = type(cfg)({**cfg, 'image_size': size, 'perceived_sex_step': 0.0, 'perceived_sex_step_women': 0.0, 'perceived_age_step': 0.0})
    g = rng(0, 'sex_direction')
    images, identity, ages = [], [], []
    for i in range(n):
        a = Attributes(ETHNICITIES[i % len(ETHNICITIES)], AGE_GROUPS[g.integers(len(AGE_GROUPS))], 'female')
        face = P.procedural_face(a, int(g.integers(2 ** 31)), cfg, sexed_shape=False)
        images.append(face['image']); identity.append(face['gt_identity']); ages.append(float(face['gt_age_years']))
    return np.stack(images), np.stack(identity), ages

def measurement_profile(direction:np.ndarray, step:float=1.0) -> dict:
    "How a `step` along `direction` moves each of `P.MEASUREMENTS`, in prior SDs of that measurement."
    base = P._measure(load_template().neutral)
    jac = np.stack([P._measure(template_vertices(np.eye(100)[k])) - base for k in range(100)], 1)
    delta = P._measure(template_vertices(step * direction)) - base
    return {m: round(float(d / s), 3) for m, d, s in zip(P.MEASUREMENTS, delta, np.linalg.norm(jac, axis=1))}

if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--n', type=int, default=400); ap.add_argument('--size', type=int, default=256)
    ap.add_argument('--judge', default='faceresdeep'); ap.add_argument('--out', default=str(OUT))
    args = ap.parse_args()
    if (why := judges_unavailable()) is not None: raise SystemExit(f"judges unavailable: {why}")
    t = time.time()
    images, X, ages = sexless_women(args.n, args.size)
    j = judge_faces(images, models=(args.judge,))
    ok = j['detected']
    p = np.clip(j[f'{args.judge}_male'][ok], 1e-4, 1 - 1e-4)
    y, X = np.log(p / (1 - p)), X[ok].astype(np.float64)
    alphas = np.logspace(-1, 4, 21)
    fit = RidgeCV(alphas=alphas).fit(X, y)
    r2 = cross_val_score(RidgeCV(alphas=alphas), X, y, cv=5, scoring='r2').mean()
    w = fit.coef_
    u = w / np.linalg.norm(w)
    D = P.measurement_directions()
    inside = D.T @ np.linalg.lstsq(D.T, u, rcond=None)[0]
    ages = np.array(ages, np.float64)[ok]
    Xa = np.concatenate([X, (ages[:, None] - ages.mean()) / ages.std()], 1)
    age_fit = RidgeCV(alphas=alphas).fit(Xa, j[f'{args.judge}_age'][ok])
    age_r2 = cross_val_score(RidgeCV(alphas=alphas), Xa, j[f'{args.judge}_age'][ok], cv=5, scoring='r2').mean()
    wa = age_fit.coef_[:100]
    ua = wa / np.linalg.norm(wa)
    commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True).stdout.strip()
    out = {'what': __doc__.split('\n\n')[0].replace('\n', ' '),
           'judge': args.judge, 'n_faces': int(ok.sum()), 'image_size': args.size, 'ridge_alpha': float(fit.alpha_),
           'cv_r2': round(float(r2), 3), 'logit_per_sd': round(float(np.linalg.norm(w)), 3),
           'mean_p_male': round(float(p.mean()), 3),
           'share_in_measured_subspace': round(float(np.sum(inside ** 2)), 3),
           'measurement_profile_per_sd': measurement_profile(u),
           'made_by': 'tools/derive_judge_directions.py', 'commit': commit, 'date': datetime.date.today().isoformat(),
           'age': {'ridge_alpha': float(age_fit.alpha_), 'cv_r2_with_drawn_age': round(float(age_r2), 3),
                   'years_per_sd': round(float(np.linalg.norm(wa)), 3), 'cosine_with_sex': round(float(ua @ u), 3),
                   'measurement_profile_per_sd': measurement_profile(ua), 'direction': [round(float(v), 6) for v in ua]},
           'seconds': round(time.time() - t, 1), 'direction': [round(float(v), 6) for v in u]}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1) + '\n')
    print(json.dumps({k: v for k, v in out.items() if k != 'direction'} | {'age': {k: v for k, v in out['age'].items() if k != 'direction'}}, indent=1))
