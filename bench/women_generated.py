"""Why do generated women read as women less often than the data's women? (issues 15 and 16: the perceived gender gap)

On the judged chapter's set-up (calibrated light, 256-px renders of the 64² network view, FaceRes; `facediv.judged`),
the women of the evaluate stage's matched sample (the same 20 data faces per ethnicity) are judged as

- the data itself, and the data projected onto the generator's fixed heads and regenerated (the encode path);
- the label prior alone (code 0), and the data's albedo and geometry swapped with the projection's;
- generated at their labels from codes drawn four ways: N(0, I) as `generate` draws them (the evaluate stage's
  codes), a Gaussian fitted to the projected codes of the 1000 training faces (all, or the women only), and the
  projected codes of random training faces themselves (all, or women).

Needs the dvc repro outputs (models/train_step2, data/normalize, metrics/perceive.json) and the judges.

    python bench/women_generated.py         # -> bench/results/women_generated.json (about 3 min on 2 cores)
"""
import argparse, json
from pathlib import Path

import numpy as np

from facediv.generate import encode, load_model, synthesize
from facediv.judge import judge_faces
from facediv.judged import judged_lighting, matched_sample, network_view, render_judged
from facediv.perceive import sample_shards
from facediv.stats import share_interval

def judged_women(gm, albedo, offsets, lighting) -> dict:
    "FaceRes on renders of women: the share read as women (Wilson interval), mean P(male), MobileFace mean pair cosine."
    j = judge_faces(render_judged(albedo, offsets, lighting, 256), box_scale=1.5, flip=True, models=('faceres', 'mobileface'))
    det = j['detected']
    d = j['mobileface_descriptor'][det]; d = d / np.linalg.norm(d, axis=1, keepdims=True)
    r = lambda x: round(float(x), 4)
    return {'read_as_women': {k: (r(v) if k == 'value' else [r(x) for x in v] if k == 'ci' else v)
                              for k, v in share_interval(j['faceres_male'][det] < 0.5).items()},
            'mean_p_male': r(j['faceres_male'][det].mean()), 'mobileface_pair_cosine': r((d @ d.T)[~np.eye(len(d), dtype=bool)].mean())}

def training_codes(gm, data_dir='data/normalize') -> tuple:
    "(codes [n,z], labels [n,3]) of every training face: its exact code through the heads' inverse (`generate.encode` at its labels)."
    s = sample_shards(data_dir, 'normalize', ('uv_albedo', 'identity'), 0, 0)
    albedo, offsets = network_view(s['uv_albedo'].astype(np.float32), s['identity'], gm.resolution, gm.offset_scale)
    labels = s['attributes'].astype(np.int64)
    return np.concatenate([encode(albedo[i:i + 100], offsets[i:i + 100], gm, labels=labels[i:i + 100]) for i in range(0, len(labels), 100)]), labels

if __name__ == '__main__':
    ap = argparse.ArgumentParser(); ap.add_argument('--out', default='bench/results/women_generated.json'); args = ap.parse_args()
    gm = load_model('models/train_step2/model.safetensors')
    lighting = judged_lighting('metrics/perceive.json')[0]
    codes_all, labels_all = training_codes(gm)
    ms = matched_sample(gm, 'data/normalize', 20, 0)                                              # evaluate's sample
    women = ms['data']['labels'][:, 2] == 1
    src = {k: ms['data'][k][women] for k in ('albedo', 'offsets', 'labels')}
    lw = src['labels']
    regen = synthesize(gm, encode(src['albedo'], src['offsets'], gm, labels=lw), lw)
    prior = synthesize(gm, np.zeros((len(lw), gm.z_dim), np.float32), lw)
    rows = {'data': judged_women(gm, src['albedo'], src['offsets'], lighting),
            'projected (encode path)': judged_women(gm, regen['albedo'], regen['offsets'], lighting),
            'label prior alone (code 0)': judged_women(gm, prior['albedo'], prior['offsets'], lighting),
            'data albedo, projected geometry': judged_women(gm, src['albedo'], regen['offsets'], lighting),
            'projected albedo, data geometry': judged_women(gm, regen['albedo'], src['offsets'], lighting)}
    g = np.random.default_rng(5)
    draws = {'N(0, I) (as generated)': ms['generated']['codes'][women]}
    for name, keep in (('all', np.ones(len(labels_all), bool)), ('women', labels_all[:, 2] == 1)):
        x = codes_all[keep]
        draws[f'Gaussian fitted to projected codes ({name})'] = g.multivariate_normal(x.mean(0), np.cov(x.T), len(lw))
        draws[f'projected codes of random training faces ({name})'] = x[g.integers(0, len(x), len(lw))]
    for name, codes in draws.items():
        o = synthesize(gm, codes.astype(np.float32), lw)
        rows[f'generated, codes: {name}'] = judged_women(gm, o['albedo'], o['offsets'], lighting)
        print(name, rows[f'generated, codes: {name}'], flush=True)
    head = gm.G.albedo_start + gm.G.albedo_components
    corr = np.corrcoef(codes_all[:, :head].T)[~np.eye(head, dtype=bool)]
    out = {'what': __doc__.split('\n')[0], 'n_women': int(women.sum()),
           'projected_codes': {'entries_read_by_heads': int(head), 'mean_sd': round(float(codes_all[:, :head].std(0).mean()), 4),
                               'mean_abs_correlation': round(float(np.abs(corr).mean()), 4)}, 'rows': rows}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True); Path(args.out).write_text(json.dumps(out, indent=1))
