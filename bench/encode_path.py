"""The encode path: how well does a code found for an existing asset keep its person? (issue 16's encode retention)

Each held-out test scan is encoded, regenerated at its own labels by G2 and judged against itself (the judged
chapter's set-up: calibrated light, renders of the network view, MobileFace and FaceRes retention against a 6°
re-render and random pairs). Ways to find the code:

- `encoder`: E(x), the paper's path;
- `project`: the closed-form inverse of G2's fixed heads (`generate.project_codes`, MAP with noise s.d. σ per
  direction, geometry and albedo), after `corrections` passes that take the synthesis network's part out;
- `… + refine N`: that code optimised N Adam steps for the L1 of G2's output against x (`generate.refine_codes`).

The scans are the test split minus the 24 the evaluate stage encodes, so the σ chosen here (`generate.PROJECT_NOISE`)
is not tuned on the figures the evaluation reports. Needs models/train_step2, data/scans, metrics/perceive.json and
the judge models. Not a test.

    python bench/encode_path.py             # -> bench/results/encode_path.json (~5 min on 2 cores)
"""
import argparse, json, time
from pathlib import Path

import numpy as np

from facediv.generate import load_model, synthesize, encode, project_codes, refine_codes, PROJECT_NOISE
from facediv.judged import held_out_scans, judged_lighting, evenly, render_judged, edit_retention, _judged_triplet
from facediv.judge import judge_faces

ROOT = Path(__file__).resolve().parents[1]

def tuning_scans(gm, scans_dir, n:int, evaluated:int=24) -> dict:
    "Up to `n` test scans, evenly spread over those the evaluate stage does not encode (its `evaluated`, evenly spread)."
    every = held_out_scans(scans_dir, gm.resolution, gm.offset_scale, 10 ** 6)
    rest = np.setdiff1d(np.arange(len(every['labels'])), evenly(len(every['labels']), evaluated))
    keep = rest[evenly(len(rest), n)]
    return {k: v[keep] for k, v in every.items()}

def main(model:str, scans:str, perceive:str, n:int, out:str, render_size:int=256) -> dict:
    gm = load_model(model)
    src = tuning_scans(gm, scans, n)
    lighting, condition, *_ = judged_lighting(perceive)
    args = (src['albedo'], src['offsets'])
    base = None
    def judged(codes, seconds):
        nonlocal base
        o = synthesize(gm, codes, src['labels'])
        if base is None: base = _judged_triplet(src, o, lighting, render_size, 1.5, True)['judged']; j = base['edit']
        else: j = judge_faces(render_judged(o['albedo'], o['offsets'], lighting, render_size), box_scale=1.5, flip=True)
        l1 = lambda k: round(float(np.abs(o[k] - src[k]).mean()), 4)
        ret = edit_retention(base['source'], base['turned'], j)
        return {'seconds_per_face': round(seconds / len(codes), 4), 'l1_albedo': l1('albedo'), 'l1_offsets_cm': l1('offsets'),
                'retention': {m: v['retention'] for m, v in ret.items()}}
    def timed(fn):
        t = time.perf_counter(); z = fn(); return z, time.perf_counter() - t
    rows, codes = {}, {}
    codes['encoder'], s = timed(lambda: encode(*args, gm, method='encoder')); rows['encoder'] = judged(codes['encoder'], s)
    for corrections in (0, 1):
        for sg in (0.0, 0.1, 0.3, 1.0):
            for sa in (0.0, 0.5, 1.0):
                name = f'project σ {sg}/{sa}, {corrections} correction' + ('s' if corrections != 1 else '')
                codes[name], s = timed(lambda: project_codes(gm, *args, src['labels'], (sg, sa), corrections))
                rows[name] = judged(codes[name], s)
                print(name, rows[name], flush=True)
    default = f'project σ {PROJECT_NOISE[0]}/{PROJECT_NOISE[1]}, 1 correction'
    for start in ('encoder', default):
        for steps in ((50, 100, 200) if start == default else (100,)):
            z, s = timed(lambda: refine_codes(gm, codes[start], *args, src['labels'], steps))
            rows[f'{start} + refine {steps}'] = r = judged(z, s + rows[start]['seconds_per_face'] * len(z))
            print(f'{start} + refine {steps}', r, flush=True)
    result = {'what': __doc__.splitlines()[0], 'model': str(model), 'render_condition': condition, 'n': len(src['labels']),
              'faces': 'held-out test scans outside the evaluate stage\'s 24', 'default': default, 'rows': rows}
    Path(out).write_text(json.dumps(result, indent=1, ensure_ascii=False) + '\n')
    return result

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--model', default=str(ROOT/'models/train_step2/model.safetensors'))
    p.add_argument('--scans', default=str(ROOT/'data/scans'))
    p.add_argument('--perceive', default=str(ROOT/'metrics/perceive.json'))
    p.add_argument('--n', type=int, default=48, help='scans encoded')
    p.add_argument('--out', default=str(ROOT/'bench/results/encode_path.json'))
    a = p.parse_args()
    main(a.model, a.scans, a.perceive, a.n, a.out)
