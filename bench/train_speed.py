"""GAN training steps on the CPU: the modulated convolution's training form with channels-last weights, against
the fused grouped convolution on NCHW weights (the way both GAN stages trained before).

Each stage (`train_step1`, `train_step2`) is run on the committed data with the default profile's networks for 100
steps, in fresh processes, old and new interleaved (the order alternates by round). The time per step is the
loop's own mean over the 100 steps (`sec_per_step` in the run's stats.jsonl), so start-up, data loading and the
final evaluation do not count; the medians over rounds are compared. The saving on the default run is the
per-step difference times the stage's `steps` in params.yaml. The models of the two ways are compared: the same
function, so they differ only by float rounding, grown over 100 steps of training.

    python bench/train_speed.py [--rounds 3] [--steps 100] [--out bench/results/train_speed.json]
"""
import argparse, datetime, json, os, platform, subprocess, sys, tempfile, time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
STAGE_ARGS = {
    'train_step1': lambda out: dict(data_dir='data/normalize', out_dir=out, plots_dir=f'{out}/plots', metrics_path=f'{out}/m.json'),
    'train_step2': lambda out: dict(data_dir='data/normalize', step1_model='models/train_step1/model.safetensors', out_dir=out,
                                    plots_dir=f'{out}/plots', metrics_path=f'{out}/m.json'),
}
# Prepended to a fresh process's code for the old way: the GAN layers use the fused modulated convolution in training too.
OLD_FORM = """
import facediv.gan
_fused = facediv.gan.modulated_conv2d
facediv.gan.modulated_conv2d = lambda *a, **k: _fused(*a, **(k | {'fused': True}))
"""
# One training run; argv: stage, old|new, params file, the stage's keyword arguments as JSON. Old: + NCHW weights.
CHILD = """
import sys, json, importlib
stage, way = sys.argv[1], sys.argv[2]
mod = importlib.import_module(f'facediv.{stage}')
if way == 'old': mod.cpu_channels_last = lambda *a: None
mod.main.__wrapped__(params=sys.argv[3], **json.loads(sys.argv[4]))   # the stage's main without fastcore's argv parsing
"""

def short_params(steps:int, folder:Path) -> Path:
    "params.yaml with both GAN stages cut to `steps` steps, no snapshots and no prior calibration."
    p = yaml.safe_load((ROOT/'params.yaml').read_text())
    for stage in STAGE_ARGS: p[stage].update(steps=steps, snapshot_every=10 ** 6, log_every=steps)
    p['train_step2']['calibrate_samples'] = 0
    path = folder/f'params_{steps}.yaml'; path.write_text(yaml.safe_dump(p)); return path

def run(stage:str, way:str, params:Path, out:Path) -> float:
    "Wall seconds of one training run."
    t = time.perf_counter()
    r = subprocess.run([sys.executable, '-c', (OLD_FORM if way == 'old' else '') + CHILD, stage, way, str(params), json.dumps(STAGE_ARGS[stage](str(out)))], cwd=ROOT,
                       capture_output=True, text=True)
    if r.returncode: raise SystemExit(f"{stage} ({way}) failed:\n{r.stderr[-3000:]}")
    if not (out/'model.safetensors').exists(): raise SystemExit(f"{stage} ({way}) wrote no model into {out}:\n{r.stderr[-3000:]}")
    return time.perf_counter() - t

def max_weight_diff(a:Path, b:Path) -> float:
    "Largest absolute difference between the tensors of two model files."
    from safetensors.torch import load_file
    x, y = load_file(str(a)), load_file(str(b))
    return max(float((x[k] - y[k]).abs().max()) for k in x if x[k].is_floating_point())

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--steps', type=int, default=100)
    ap.add_argument('--out', default=str(ROOT/'bench/results/train_speed.json'))
    args = ap.parse_args()
    params = yaml.safe_load((ROOT/'params.yaml').read_text())
    result = {'what': __doc__.split('\n\n')[0].replace('\n', ' '), 'date': datetime.date.today().isoformat(),
              'machine': f'{os.cpu_count()}-core {platform.machine()}', 'rounds': args.rounds, 'steps': args.steps, 'stages': {}}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        short = short_params(args.steps, tmp)
        for stage in STAGE_ARGS:
            per_step, wall = {'old': [], 'new': []}, {'old': [], 'new': []}
            for r in range(args.rounds):
                for way in (('old', 'new') if r % 2 == 0 else ('new', 'old')):
                    out = tmp/f'{stage}_{way}_{r}'
                    wall[way].append(round(run(stage, way, short, out), 1))
                    per_step[way].append(json.loads((out/'stats.jsonl').read_text().splitlines()[-1])['sec_per_step'])
                    print(f'{stage} {way}: {per_step[way][-1]} s a step, {wall[way][-1]} s in all', flush=True)
            med = {w: float(np.median(v)) for w, v in per_step.items()}
            steps = params[stage]['steps']
            result['stages'][stage] = {
                'per_step_s': per_step, 'wall_s': wall, 'median_per_step_s': med, 'ratio': round(med['new'] / med['old'], 3),
                'speedup': round(med['old'] / med['new'], 2),
                'default_steps': steps, 'saved_per_run_s': round((med['old'] - med['new']) * steps, 1),
                'max_weight_diff': max_weight_diff(tmp/f'{stage}_old_0/model.safetensors', tmp/f'{stage}_new_0/model.safetensors')}
            print(stage, {k: result['stages'][stage][k] for k in ('median_per_step_s', 'ratio', 'saved_per_run_s')}, flush=True)
    result['saved_per_run_s'] = round(sum(s['saved_per_run_s'] for s in result['stages'].values()), 1)
    Path(args.out).write_text(json.dumps(result, indent=1) + '\n')
    print(json.dumps({k: v for k, v in result.items() if k != 'stages'}))

if __name__ == '__main__': main()
