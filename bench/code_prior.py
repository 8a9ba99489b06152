"""A per-gender code prior (issue 16: generated women and gender edits): does drawing identity codes from the
distribution of the training faces' own codes, per gender, make generated women read as women and gender edits land?

The generator's heads are linear in the code (`basis_head: fixed`, `head_code: raw`), so the training faces' codes are
exact (`generate.encode`, the heads' closed-form inverse). If the label prior and D_E left gender in the codes, the
women's codes are not N(0, I) and neither are the men's. Each variant maps the standard-normal draw ε that `generate`
makes to the code the generator reads, per gender g of the label:

- `N(0, I)`: z = ε (as generated today);
- `mean`: z = μ_g + ε;
- `mean + covariance`: z = μ_g + L_g ε, L_g the Cholesky factor of the codes' covariance (shrunk towards its diagonal).

An edit keeps ε and changes the label, so a gender edit maps a man's code to the woman at the same place in the
women's distribution. Judged as the evaluate stage does (`facediv.judged`, FaceRes for gender, MobileFace/FaceRes for
retention): the women and men of the matched sample (20 data faces per ethnicity, generated twins), and gender edits
(`--n-edit` faces). Needs the dvc repro outputs and the judges.

    python bench/code_prior.py --n-edit 72      # -> bench/results/code_prior.json (about 8 min on 2 cores)
"""
import argparse, json, time
from pathlib import Path
import numpy as np
import facediv.judged as J
from facediv.generate import load_model, synthesize, face_codes
from facediv.judge import judge_faces
from facediv.perceive import face_figures, identity_spread
from women_generated import training_codes                     # bench/ is the script's folder, so on sys.path
from facediv.stats import share_interval, rounded
from facediv.taxonomy import GENDERS

def fit_priors(codes:np.ndarray, genders:np.ndarray, shrink:float=0.1) -> dict:
    "{g: (mean [z], Cholesky factor [z,z])} of the codes of each gender; the covariance is shrunk towards its diagonal by `shrink`."
    out = {}
    for g in np.unique(genders):
        x = codes[genders == g].astype(np.float64)
        c = np.cov(x.T); c = (1 - shrink) * c + shrink * np.diag(np.diag(c))
        out[int(g)] = (x.mean(0), np.linalg.cholesky(c + 1e-6 * np.eye(len(c))))
    return out

def mapped(codes, labels, priors:dict|None, cov:bool) -> np.ndarray:
    "The codes the generator reads for standard-normal draws `codes` [n,z] at `labels` [n,3]."
    if priors is None: return np.asarray(codes, np.float32)
    z = np.array(codes, np.float64)
    for g, (mu, L) in priors.items():
        m = labels[:, 2] == g
        z[m] = mu + (z[m] @ L.T if cov else z[m])
    return z.astype(np.float32)

def share(x) -> dict: return rounded(share_interval(x), 4)

if __name__ == '__main__':
    ap = argparse.ArgumentParser(); ap.add_argument('--n-edit', type=int, default=72); ap.add_argument('--out', default='bench/results/code_prior.json')
    ap.add_argument('--psi', type=float, nargs='*', default=[0.8, 0.6], help='truncation rows, for scale')
    ap.add_argument('--only', nargs='*', default=None, help='run only these rows (names as in the output)')
    args = ap.parse_args()
    gm = load_model('models/train_step2/model.safetensors')
    lighting, _, _, headline = J.judged_lighting('metrics/perceive.json')
    codes_all, labels_all = training_codes(gm)
    priors = fit_priors(codes_all, labels_all[:, 2])
    stats = {GENDERS[g]: {'n': int((labels_all[:, 2] == g).sum()), 'mean_norm': round(float(np.linalg.norm(mu)), 3),
                          'mean_sd': round(float(np.sqrt((L ** 2).sum(1)).mean()), 3)} for g, (mu, L) in priors.items()}
    stats['female - male'] = {'mean_difference_norm': round(float(np.linalg.norm(priors[1][0] - priors[0][0])), 3)}
    print('codes', stats, flush=True)
    ms = J.matched_sample(gm, 'data/normalize', 20, 0)
    lab = ms['generated']['labels']; eps = ms['generated']['codes']
    n = args.n_edit; eps_edit = face_codes(2, 0, n, gm.z_dim); src_l, new_l = J.edit_labels_for('gender', n, 0)
    rows = {}
    variants = [('N(0, I)', None, False, 1.0), ('mean', priors, False, 1.0), ('mean + covariance', priors, True, 1.0)]
    variants += [(f'N(0, I), truncation psi {p}', None, False, p) for p in args.psi]
    for name, pri, cov, psi in variants:
        if args.only and name not in args.only: continue
        t = time.time()
        o = synthesize(gm, mapped(eps, lab, pri, cov), lab, psi)
        j = judge_faces(J.render_judged(o['albedo'], o['offsets'], lighting, 256), box_scale=1.5, flip=True)
        right = face_figures(j, lab, headline)['gender']          # the perceive chapter's figure: NaN where a face does not count
        t3 = J._judged_triplet(synthesize(gm, mapped(eps_edit, src_l, pri, cov), src_l, psi), synthesize(gm, mapped(eps_edit, new_l, pri, cov), new_l, psi),
                               lighting, 256, 1.5, True)
        ch = J.edit_change('gender', t3['judged']['source'], t3['judged']['edit'], src_l, new_l, headline)
        f = J.edit_faces('gender', t3['judged']['source'], t3['judged']['edit'], src_l, new_l, headline)
        ret = J.edit_retention(t3['judged']['source'], t3['judged']['turned'], t3['judged']['edit'])
        rows[name] = {'generated_women_read_as_women': share(right[lab[:, 2] == 1]), 'generated_men_read_as_men': share(right[lab[:, 2] == 0]),
                      'generated_gender_accuracy': share(right),
                      'mobileface_cosine_within_ethnicity': round(identity_spread(j['mobileface_descriptor'], lab[:, 0])['within_group'], 4),
                      'gender_edits_read_as_target': share(f['as_target']),
                      'to_women_read_as_women': share(f['as_target'][new_l[f['detected'], 2] == 1]),
                      'to_men_read_as_men': share(f['as_target'][new_l[f['detected'], 2] == 0]),
                      'retention': {m: round(float(v['retention']), 3) for m, v in ret.items()}, 'seconds': round(time.time() - t, 1)}
        print(name, json.dumps(rows[name]), flush=True)
    out = {'what': __doc__.split('\n')[0], 'n_matched': int(len(lab)), 'n_edit': n, 'codes': stats, 'rows': rows}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True); Path(args.out).write_text(json.dumps(out, indent=1))
