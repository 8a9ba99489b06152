"""Perceived age against perceived gender: what each ageing lever of the procedural source buys and costs (issue 15)

The portraits miss one goal of issue 15 by a wide margin: FaceRes's age error (MAE 14.8 years, goal <= 10) while
it reads 92.5 % of male/female labels right (goal >= 90 %). The old are read too young: 70-74 as about 46.
This bench regenerates the perceive stage's balanced portrait sample (280 faces, 20 per ethnicity, the same faces
and seeds) under one ageing lever at a time and judges and scores it as the stage does (box 1.5, mirror averaged; `perceive.face_figures` and its intervals):

- `wrinkle_relief_x3`: the skin's wrinkles and folds drawn as relief, three times deeper (texture only);
- `age_step_8`: the judge-derived perceived-age step at 8 SD instead of 4 (shape);
- `sex_free_age_x2_step_6`, `sex_free_age_x4_step_8`: the published ageing shape 2 or 4 times over, less its
  part along the judge's raw perceived-sex direction, with a larger age step (shape);
- `age_step_8_wrinkle_relief_x3`: both kinds at once.

Every lever is a what-if from bench/judge_ablation.py; params.yaml is not changed. FaceRes gives the figures
(the perceive stage's headline judge); `faceresdeep`, the judge the portraits were tuned on, is run beside it.

Needs data/portraits (dvc repro portraits) and the judges (tools/install.sh).
    python bench/age_levers.py     # -> bench/results/age_levers.{json,png} (about 15 min on 2 cores)
"""
import json, sys, time
from pathlib import Path
import numpy as np
import matplotlib; matplotlib.use('Agg')
import matplotlib.pyplot as plt
sys.path.insert(0, str(Path(__file__).resolve().parent))
import judge_ablation as J
import facediv.portraits as P
from facediv.core import load_params
from facediv.judge import judge_faces, judges_unavailable
from facediv.perceive import sample_shards, face_figures, age_statistic, _age_figure
from facediv.stats import share_interval, rounded
from facediv.taxonomy import Attributes, AGE_GROUPS, GENDERS

LEVERS = {'base': J.INTERVENTIONS['base'],
          'wrinkle_relief_x3': J.INTERVENTIONS['wrinkle_relief_x3'],
          'age_step_8': J.INTERVENTIONS['age_step_8'],
          'sex_free_age_x2_step_6': J._together(J._sex_free_age_shape(2.0), J._steps(None, 6.0)),
          'sex_free_age_x4_step_8': J._together(J._sex_free_age_shape(4.0), J._steps(None, 8.0)),
          'age_step_8_wrinkle_relief_x3': J.INTERVENTIONS['age_step_8_wrinkle_relief_x3']}
JUDGES = ('faceres', 'faceresdeep')

def sample(portraits_dir='data/portraits', per_ethnicity:int=20, seed:int=0) -> tuple:
    "(attributes [n,3] as stored, seeds [n]) of the perceive stage's balanced portrait sample."
    s = sample_shards(portraits_dir, 'portraits', ('seed',), per_ethnicity, seed)
    return s['attributes'], s['seed']

def figures(j:dict, att:np.ndarray, judge:str) -> dict:
    "The perceive stage's figures of `judge` (`face_figures`, its intervals): gender accuracy on male/female labels (all, women), age MAE and Spearman r; mean perceived age per age group."
    f = face_figures(j, att, {'gender': judge, 'age': judge})
    women, groups = att[:, 2] == GENDERS.index('female'), att[:, 1]
    return {'gender': rounded(share_interval(f['gender'])), 'women': rounded(share_interval(f['gender'][women])),
            'age_mae': rounded(_age_figure(f, att[:, 0], 'mae', 0)), 'age_r': round(float(age_statistic(f, np.arange(len(att)))), 4),
            'detected': round(float(f['detected'].mean()), 4),
            'mean_age': {g: round(float(np.nanmean(f['age'][groups == k])), 1) for k, g in enumerate(AGE_GROUPS) if (groups == k).any()}}

def run(levers:dict, cfg, att:np.ndarray, seeds:np.ndarray, log=print) -> dict:
    "{lever: {judge: figures}} for the sample regenerated under each lever."
    out = {}
    for name, apply in levers.items():
        undo, t = apply(), time.time()
        try: images = np.stack([P.procedural_face(Attributes.decode(a), int(s), cfg)['image'] for a, s in zip(att, seeds)])
        finally: undo()
        j = judge_faces(images, models=JUDGES, box_scale=1.5, flip=True)
        out[name] = {judge: figures(j, att, judge) for judge in JUDGES} | {'seconds': round(time.time() - t, 1)}
        log(name, json.dumps({k: (v['gender']['value'], v['age_mae']['value']) for k, v in out[name].items() if k in JUDGES}))
    return out

def plot(results:dict, path, judge:str='faceres') -> None:
    "Gender accuracy against age MAE per lever, with 95 % intervals and the goals."
    fig, ax = plt.subplots(figsize=(7, 4.6))
    for name, r in results.items():
        g, m = r[judge]['gender'], r[judge]['age_mae']
        ax.errorbar(m['value'], g['value'], xerr=[[m['value'] - m['ci'][0]], [m['ci'][1] - m['value']]],
                    yerr=[[g['value'] - g['ci'][0]], [g['ci'][1] - g['value']]], fmt='o', capsize=3)
        ax.annotate(name.replace('_', ' '), (m['value'], g['value']), textcoords='offset points', xytext=(6, 4), fontsize=8)
    ax.axhline(0.9, ls='--', c='grey'); ax.axvline(10, ls='--', c='grey')
    ax.text(10.05, ax.get_ylim()[0] + 0.005, 'age goal ≤ 10', fontsize=8, color='grey')
    ax.text(ax.get_xlim()[1], 0.902, 'gender goal ≥ 90 %', fontsize=8, color='grey', ha='right', va='bottom')
    ax.set_xlabel('perceived age MAE, years (FaceRes)'); ax.set_ylabel('perceived gender accuracy (FaceRes)')
    ax.set_title('Each ageing lever trades gender for age: the goals meet at the top left, where none lands', fontsize=9)
    fig.tight_layout(); fig.savefig(path, dpi=120); plt.close(fig)

if __name__ == '__main__':
    if (why := judges_unavailable()) is not None: raise SystemExit(f"judges unavailable: {why}")
    names = [n for n in (sys.argv[1].split(',') if len(sys.argv) > 1 else LEVERS)]
    cfg = load_params('portraits', P.PORTRAITS_SCHEMA, 'params.yaml')
    att, seeds = sample()
    results = run({n: LEVERS[n] for n in names}, cfg, att, seeds)
    out = {'what': __doc__.split('\n')[0], 'n_faces': len(att), 'image_size': cfg.image_size,
           'judges': list(JUDGES), 'tuned_on': ['faceresdeep'], 'results': results}
    Path('bench/results').mkdir(parents=True, exist_ok=True)
    Path('bench/results/age_levers.json').write_text(json.dumps(out, indent=1))
    plot(results, 'bench/results/age_levers.png')
