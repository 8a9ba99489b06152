"""What the albedo head costs the GAN stages per step: the default profile before it (z_dim 64, no albedo head, RGB
synthesis albedo) against now (z_dim 256, 192 albedo directions, no synthesis albedo), 100 steps each, in fresh
processes, interleaved (the order alternates by round), the loop's own mean time per step compared as medians.
Step 2 of "before" starts from that configuration's step-1 model (bench/generator_levers.py geometry64_fixed).

    python bench/albedo_head_speed.py [--rounds 2] [--steps 100]      # -> bench/results/albedo_head_speed.json
"""
import argparse, datetime, json, os, platform, tempfile
from pathlib import Path

import numpy as np
import yaml

from train_speed import ROOT, STAGE_ARGS, run   # bench/train_speed.py: one stage run in a fresh process

BEFORE = {'z_dim': 64, 'albedo_components': 0, 'synthesis_albedo': 'rgb'}
BEFORE_STEP1 = ROOT/'bench/work/generator_levers/geometry64_fixed/s1/model.safetensors'

def short_params(steps:int, folder:Path, overrides:dict, name:str) -> Path:
    p = yaml.safe_load((ROOT/'params.yaml').read_text())
    for stage in STAGE_ARGS: p[stage].update(steps=steps, snapshot_every=10 ** 6, log_every=steps)
    p['train_step1'].update(overrides); p['train_step2']['calibrate_samples'] = 0
    path = folder/f'params_{name}.yaml'; path.write_text(yaml.safe_dump(p)); return path

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--rounds', type=int, default=2)
    ap.add_argument('--steps', type=int, default=100)
    a = ap.parse_args()
    if not BEFORE_STEP1.exists(): raise SystemExit(f"{BEFORE_STEP1} is missing: python bench/generator_levers.py --variants geometry64_fixed")
    defaults = yaml.safe_load((ROOT/'params.yaml').read_text())
    res = {'what': __doc__.split('\n\n')[0].replace('\n', ' '), 'date': datetime.date.today().isoformat(),
           'machine': f'{os.cpu_count()}-core {platform.machine()}', 'rounds': a.rounds, 'steps': a.steps, 'before': BEFORE,
           'after': {k: defaults['train_step1'][k] for k in BEFORE}, 'stages': {}}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        params = {'before': short_params(a.steps, tmp, BEFORE, 'before'), 'after': short_params(a.steps, tmp, {}, 'after')}
        import train_speed
        for stage in STAGE_ARGS:
            per_step = {'before': [], 'after': []}
            for r in range(a.rounds):
                for way in (('before', 'after') if r % 2 == 0 else ('after', 'before')):
                    out = tmp/f'{stage}_{way}_{r}'
                    step1 = BEFORE_STEP1 if way == 'before' else ROOT/'models/train_step1/model.safetensors'
                    train_speed.STAGE_ARGS = dict(STAGE_ARGS, train_step2=lambda o, s=step1: dict(STAGE_ARGS['train_step2'](o), step1_model=str(s)))
                    run(stage, 'new', params[way], out)
                    per_step[way].append(json.loads((out/'stats.jsonl').read_text().splitlines()[-1])['sec_per_step'])
                    print(stage, way, per_step[way][-1], flush=True)
            med = {w: float(np.median(v)) for w, v in per_step.items()}
            res['stages'][stage] = {'per_step_s': per_step, 'median_per_step_s': med, 'ratio': round(med['after'] / med['before'], 3),
                                    'default_steps': defaults[stage]['steps'], 'cost_per_run_s': round((med['after'] - med['before']) * defaults[stage]['steps'], 1)}
    res['cost_per_run_s'] = round(sum(s['cost_per_run_s'] for s in res['stages'].values()), 1)
    (ROOT/'bench/results/albedo_head_speed.json').write_text(json.dumps(res, indent=1) + '\n')
    print(json.dumps({k: res[k] for k in ('cost_per_run_s',)} | {s: v['ratio'] for s, v in res['stages'].items()}))
