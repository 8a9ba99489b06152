"""Photographed scans in the normaliser's paired stream: how much of it? (issue 15: bald-asset gender)

The normaliser's paired stream used to light its target scans in UV (`relight.shade_uv`). Those inputs shade lips
and eyelids far darker than the real pipeline's textures do (bench/normalizer_contrast.py), so the normaliser
brightened women's lips and eye make-up away. The `complete_scans` stage now gives it the target scans as the
pipeline sees them: photographed like a portrait, reconstructed, completed from the other scans. This bench
trains the normaliser alone (the stage's options, seeds 0 and 1) with `train.photographed_share` of the paired
tiles drawn from those photographs, and scores each run on the perceive stage's asset sample (280 data faces):

- PSNR against the ground-truth albedo (face tile, seen texels, sRGB), as the normalize stage scores it;
- the women's lip, brow and eyeliner contrast against their cheeks, next to the truth's;
- how FaceRes reads the bald heads (perceive's render set-up): all labelled faces, and the women.

The share is chosen without the judge: the largest one whose PSNR stays within 0.2 dB of relit-only training
(mean of the seeds). FaceRes is then the check, not the criterion.

Needs the dvc repro outputs (data/filter, data/scans, data/scan_complete, data/portraits, data/complete,
data/normalize, metrics/perceive.json) and the judges. Runs are kept in bench/work/photographed_pairs/ and reused.

    python bench/photographed_pairs.py     # -> bench/results/photographed_pairs.{json,png} (about 12 min on 2 cores)
"""
import json, sys
from pathlib import Path
import numpy as np
import torch
import matplotlib; matplotlib.use('Agg')
import matplotlib.pyplot as plt
sys.path.insert(0, str(Path(__file__).resolve().parent))
from normalizer_contrast import asset_sample, score_model, feature_contrast
import facediv.train_normalizer as tn
from facediv.core import load_params

SHARES, SEEDS = (0.0, 0.5, 0.75, 1.0), (0, 1)
WORK, OUT = Path('bench/work/photographed_pairs'), Path('bench/results/photographed_pairs')

def train_run(cfg, data:dict, share:float, seed:int) -> Path:
    "The normaliser alone, trained as the stage trains it but with `share` and `seed` (resumed, or skipped when done)."
    run = WORK/f'share{share:g}_seed{seed}'
    options = tn.training_options(cfg, photographed_share=share, seed=seed)
    tn.train_normalizer(**tn.training_job(cfg, data, 'normalizer', run, options, progress=False))
    return run

def chosen_share(summary:dict, tolerance:float=0.2) -> float:
    "The largest share whose mean PSNR is within `tolerance` dB of relit-only training (share 0)."
    base = summary['0']['psnr_seen_db']
    return max(float(s) for s, v in summary.items() if v['psnr_seen_db'] >= base - tolerance)

def plot(summary:dict, runs:list, path:Path) -> None:
    fig, ax = plt.subplots(1, 3, figsize=(12, 3.4))
    for r in runs:
        ax[0].plot(r['share'], r['psnr_seen_db'], 'o', color='grey', alpha=0.6)
        ax[1].plot(r['share'], 100 * r['bald_gender_women']['value'], 'o', color='grey', alpha=0.6)
        ax[2].plot(r['share'], -r['women_contrast']['lips'], 'o', color='grey', alpha=0.6)
    x = [float(s) for s in summary]
    ax[0].plot(x, [v['psnr_seen_db'] for v in summary.values()], '-k'); ax[0].set_ylabel('PSNR vs truth, seen texels (dB)')
    ax[1].plot(x, [100 * v['bald_women_read_female'] for v in summary.values()], '-k'); ax[1].set_ylabel('bald women read female (%)')
    ax[2].plot(x, [-v['women_lips'] for v in summary.values()], '-k', label='normalized')
    ax[2].axhline(-summary['0']['truth_lips'], color='tab:red', ls='--', label='ground truth'); ax[2].set_ylabel('women: lips darker than cheeks (−log)')
    ax[2].legend(fontsize=8)
    for a in ax: a.set_xlabel('photographed share of the paired stream'); a.grid(alpha=0.3)
    fig.suptitle('normaliser trained with photographed scans: two seeds per share (dots), their mean (line)', fontsize=10)
    plt.tight_layout(); fig.savefig(path, dpi=90); plt.close(fig)

if __name__ == '__main__':
    torch.set_num_threads(2)
    cfg = load_params('train_normalizer', tn.TRAIN_NORMALIZER_SCHEMA, 'params.yaml')
    cfg.train['photographed_share'] = 1.0                                        # load the photographs whatever the committed share
    data = tn.load_training_data(cfg, 'data/filter', 'data/scans', 1, 'data/scan_complete')
    s = asset_sample()
    truth = feature_contrast(s['gt'], s['regions'], s['women'])
    runs = []
    for share in SHARES:
        for seed in SEEDS:
            r = {'share': share, 'seed': seed, **score_model(train_run(cfg, data, share, seed), s)}
            runs.append(r); print({k: r[k] for k in ('share', 'seed', 'psnr_seen_db', 'bald_gender_all', 'bald_gender_women')}, flush=True)
    mean = lambda rows, f: round(float(np.mean([f(r) for r in rows])), 3)
    summary = {f'{share:g}': {'psnr_seen_db': mean(rs, lambda r: r['psnr_seen_db']),
                              'bald_read_as_label': mean(rs, lambda r: r['bald_gender_all']['value']),
                              'bald_women_read_female': mean(rs, lambda r: r['bald_gender_women']['value']),
                              'women_lips': mean(rs, lambda r: r['women_contrast']['lips']),
                              'women_eyeliner': mean(rs, lambda r: r['women_contrast']['eyeliner']),
                              'truth_lips': truth['lips'], 'truth_eyeliner': truth['eyeliner']}
               for share in SHARES for rs in [[r for r in runs if r['share'] == share]]}
    out = {'what': __doc__.split('\n')[0], 'n_faces': int(len(s['gt'])), 'n_women': int(s['women'].sum()),
           'n_photographed': data['n_photographed'], 'seeds': list(SEEDS), 'truth_women_contrast': truth,
           'chosen_share': chosen_share(summary), 'rule': 'largest share whose mean PSNR is within 0.2 dB of share 0 (no judge)',
           'summary': summary, 'runs': runs}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.with_suffix('.json').write_text(json.dumps(out, indent=1) + '\n')
    plot(summary, runs, OUT.with_suffix('.png'))
    print(json.dumps(summary, indent=1), '\nchosen share', out['chosen_share'])
