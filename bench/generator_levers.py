"""Ablation of the generator's levers (issue 16): each variant trained with the default profile's budget, then judged
by real-photo face models next to the data (`facediv.judged`), side by side in one JSON.

A variant is a set of overrides of the `train_step1` / `train_step2` params blocks. Each variant trains both steps
(the stages' own entry points, in child processes, so each has its own time and peak memory) into
bench/work/generator_levers/<variant>/ (git-ignored), unless its model already exists there; then it is judged with the
evaluate stage's `judged` block (same data sample, renders, judges and seeds for every variant). `--model NAME=PATH`
judges an already trained model instead (e.g. the `dvc repro` one).

Needs data/normalize, data/scans and metrics/perceive.json (dvc repro perceive) and the judge models. Not a test.

Not a variant any more: the basis head first read the first w (commit 06d05cf). At step 675 of 1000 its step-1
reconstruction L1 was 0.088 against 0.082 for the baseline at step 700, no gain, so it was stopped and the head
now reads the code z (see the gan chapter).

    python bench/generator_levers.py                                       # every variant
    python bench/generator_levers.py --variants basis64 --model dvc=models/train_step2/model.safetensors
"""
import argparse, copy, json, resource, subprocess, sys, time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT/'bench'/'work'/'generator_levers'     # models and checkpoints (git-ignored); results/ gets the JSON and sheets
VARIANTS = {  # name: ({step-1 overrides}, {step-2 overrides}, what it changes)
    'baseline': ({'basis_components': 0}, {}, 'label prior + StyleGAN2 synthesis (the generator before this work)'),
    'basis64':  ({'basis_components': 64}, {}, 'plus a head weighing the 64 leading principal directions of the data around the prior'),
    'basis64_adv1': ({'basis_components': 64, 'loss': {'adv_weight': 1.0}}, {}, 'basis64 with a weaker code discriminator (D_E weight 1 instead of 3)'),
    'basis64_fixed': ({'basis_components': 64, 'basis_head': 'fixed'}, {},
                      "basis64 with no head layer: the code's 64 entries are the directions' coefficients (each at the data's s.d.)"),
    'geometry64_fixed': ({'basis_components': 64, 'basis_head': 'fixed', 'basis_channels': 'geometry'}, {},
                         "a fixed head on the 64 leading principal directions of the geometry alone (the UV offsets, which carry the "
                         "identity the descriptors see); albedo left to the synthesis network"),
    'detail128': ({'z_dim': 192, 'albedo_components': 128, 'albedo_highpass': 2.0, 'synthesis_albedo': 'rgb', 'albedo_by': 'all'}, {},
                  "geometry64_fixed plus a fixed head on 128 directions of the albedo's high-pass residual (sigma 2 texels), s.d. per label, "
                  "read from 128 more code entries (z_dim 192)"),
    'albedo192_luma': ({'z_dim': 256, 'albedo_components': 192, 'synthesis_albedo': 'luma', 'albedo_by': 'all'}, {},
                       "geometry64_fixed plus a fixed head on 192 principal directions of the whole albedo residual, s.d. per label (z_dim 256); "
                       "the synthesis network adds brightness only (no colour of its own)"),
    'albedo192_none': ({'z_dim': 256, 'albedo_components': 192, 'synthesis_albedo': 'none', 'albedo_by': 'all'}, {},
                       "as albedo192_luma, but the synthesis network adds nothing to the albedo: albedo = label prior + the head"),
    'albedo192_gender': ({'z_dim': 256, 'albedo_components': 192, 'synthesis_albedo': 'none', 'albedo_by': 'gender'}, {},
                         "as albedo192_none, with one set of 192 directions (and s.d.) per gender, each from its own faces"),
    'noise': (None, {'G': {'synthesis': {'use_noise': True}}},
              "step 2 with StyleGAN2's per-texel noise inputs (strengths start at 0 and are learned; step 1: the dvc repro model)"),
    'consistency1': (None, {'loss': {'consistency_weight': 1.0}},
                     "step 2 less tied to G1's low frequencies: consistency weight 1 instead of 10 (step 1: the dvc repro model)"),
    'consistency0': (None, {'loss': {'consistency_weight': 0.0}},
                     "step 2 not tied to G1's low frequencies at all (consistency weight 0; still initialised from G1; step 1: the dvc repro model)"),
}
STEP1_DVC = ROOT/'models'/'train_step1'/'model.safetensors'   # a variant whose step-1 overrides are None starts from it

def deep_merge(a:dict, b:dict) -> dict:
    out = copy.deepcopy(a)
    for k, v in b.items(): out[k] = deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out

def train(name:str, s1:dict, s2:dict) -> dict:
    "Train both steps of one variant (skipped when its model exists); seconds and peak RSS of each step."
    d = OUT/name; d.mkdir(parents=True, exist_ok=True)
    params = yaml.safe_load((ROOT/'params.yaml').read_text())
    params['train_step1'] = deep_merge(params['train_step1'], s1 or {}); params['train_step2'] = deep_merge(params['train_step2'], s2)
    (d/'params.yaml').write_text(yaml.safe_dump(params, sort_keys=False))
    info, step1_model = {}, STEP1_DVC if s1 is None else d/'s1'/'model.safetensors'
    steps = (('train_step1', 's1', ['--data_dir', 'data/normalize']),) if s1 is not None else ()
    for step, out, args in steps + (('train_step2', 's2', ['--data_dir', 'data/normalize', '--step1_model', str(step1_model)]),):
        if (d/out/'model.safetensors').exists() and (d/f'{step}.json').exists():
            info[step] = json.loads((d/f'{step}.json').read_text()).get('bench', {}); continue
        t = time.time()
        cmd = [sys.executable, '-m', f'facediv.{step}', '--params', str(d/'params.yaml'), *args, '--out_dir', str(d/out),
               '--plots_dir', str(d/f'plots_{step[-5:]}'), '--metrics_path', str(d/f'{step}.json')]
        r = subprocess.run(['/usr/bin/time', '-f', '%M', *cmd], cwd=ROOT, capture_output=True, text=True)
        if r.returncode: sys.exit(f"{name} {step} failed:\n{r.stderr[-3000:]}")
        m = json.loads((d/f'{step}.json').read_text())
        m['bench'] = {'seconds': round(time.time() - t, 1), 'peak_rss_mb': round(int(r.stderr.strip().splitlines()[-1]) / 1024)}
        (d/f'{step}.json').write_text(json.dumps(m, indent=1))
        info[step] = m['bench']
    return info | {'model': str(d/'s2'/'model.safetensors')}

def judge(model:str, plots:Path) -> dict:
    "The evaluate stage's judged measures of one generator."
    from facediv.core import load_params
    from facediv.evaluate import EVALUATE_SCHEMA
    from facediv.generate import load_model
    from facediv.judged import judged_generator
    cfg = load_params('evaluate', EVALUATE_SCHEMA, ROOT/'params.yaml')
    t = time.time()
    m = judged_generator(load_model(str(ROOT/model) if not Path(model).is_absolute() else model), ROOT/'data/normalize', plots,
                         ROOT/'metrics/perceive.json', ROOT/'data/scans', **cfg.judged, seed=cfg.seed, psi=cfg.psi, log=lambda s: None)
    return m | {'judge_seconds': round(time.time() - t, 1)}

def g1_spread(step1_model, n:int=512) -> dict:
    "Per-texel s.d. around the label prior of G1(z, l) for n random codes, of G1(E(x), l) and of the data x (the data's labels)."
    import numpy as np, torch
    from facediv.gan import load_checkpoint
    from facediv.taxonomy import one_hot
    from facediv.dataset import prepare_training_set
    ts = prepare_training_set(ROOT/'data/normalize', OUT/'cache', resolution=64)
    nets, _ = load_checkpoint(step1_model, ['E', 'G1'], stage='train_step1')
    E, G1 = nets['E'].eval(), nets['G1'].eval()
    x, c = (torch.from_numpy(np.asarray(a, np.float32)) for a in (ts.images[:n], one_hot(ts.labels[:n])))
    with torch.no_grad():
        z = torch.randn(n, G1.z_dim, generator=torch.Generator().manual_seed(0))
        run = lambda codes: torch.cat([G1(codes[i:i + 64], c[i:i + 64], noise_mode='const') for i in range(0, n, 64)])
        prior, sample, rec = G1.prior(c), run(z), run(torch.cat([E(x[i:i + 64]) for i in range(0, n, 64)]))
    sd = lambda a: round(float((a - prior).std(0).mean()), 4)
    return {'samples': sd(sample), 'reconstructions': sd(rec), 'data': sd(x), 'reconstruction_l1': round(float((rec - x).abs().mean()), 4)}

def summary(m:dict) -> dict:
    "The five measures of one judged generator, as one flat row."
    g, d, sp, ed = m['generated']['overall'], m['data']['overall'], m['identity_spread'], m['edits']
    return {'spread_ratio_mobileface': sp['mobileface']['ratio'], 'spread_ratio_faceres': sp['faceres']['ratio'],
            'gender_acc': g['faceres_gender_accuracy'], 'gender_acc_data': d['faceres_gender_accuracy'],
            'age_r': g['faceres_age_spearman'], 'age_r_data': d['faceres_age_spearman'],
            'race': g['gear_race_agreement'], 'race_data': d['gear_race_agreement'],
            'gender_edit_as_target': ed['gender']['change']['perceived_as_target'], 'age_edit_years': ed['age']['change']['perceived_years'],
            **{f'retention_{k}': ed[k]['identity']['mobileface']['retention'] for k in ed},
            'retention_encode': m['encode']['identity']['mobileface']['retention'],
            'spectrum_bands': m['spectrum']['bands'], 'spectrum_colour_bands': {k: v['bands'] for k, v in m['spectrum'].get('colour', {}).items()}}

def spectrum_row(model:str) -> dict:
    "The judged spectrum entry (luminance and colour axes) of a generator, without the judges: for rows judged before the colour axes."
    from facediv.core import load_params
    from facediv.evaluate import EVALUATE_SCHEMA
    from facediv.generate import load_model
    from facediv.judged import matched_sample, albedo_spectra
    cfg = load_params('evaluate', EVALUATE_SCHEMA, ROOT/'params.yaml')
    ms = matched_sample(load_model(model), ROOT/'data/normalize', cfg.judged.per_ethnicity, cfg.seed, cfg.psi)
    return albedo_spectra(ms['generated']['albedo'], ms['data']['albedo'])[1]

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--variants', nargs='*', default=None, help='variants to train and judge (default: all, unless --model, --metrics or --spectrum is given)')
    ap.add_argument('--model', nargs='*', default=[], help='NAME=PATH: judge an already trained generator as variant NAME')
    ap.add_argument('--metrics', nargs='*', default=[], help="NAME=PATH: take variant NAME's judged measures from an evaluate stage's metrics file")
    ap.add_argument('--spectrum', nargs='*', default=[], help="NAME=PATH: recompute stored row NAME's spectrum (luminance + colour) from its model at PATH")
    a = ap.parse_args()
    path = ROOT/'bench'/'results'/'generator_levers.json'
    res = json.loads(path.read_text()) if path.exists() else {}
    for name, model in (s.split('=', 1) for s in a.spectrum):
        res[name]['judged']['spectrum'] = spectrum_row(model)
        res[name]['spectrum_of'] = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT, capture_output=True, text=True).stdout.strip()   # the data it was recomputed on
        res[name]['summary'] = summary(res[name]['judged'])
        path.write_text(json.dumps(res, indent=1)); print(name, res[name]['summary']['spectrum_colour_bands'])
    variants = a.variants if a.variants is not None else ([] if (a.model or a.metrics or a.spectrum) else list(VARIANTS))
    todo = [(n, None, None) for n in variants] + [(*s.split('=', 1), None) for s in a.model] + [(*s.split('=', 1)[:1], None, s.split('=', 1)[1]) for s in a.metrics]
    for name, model, metrics in todo:
        row = {'changes': VARIANTS[name][2]} if name in VARIANTS else {'changes': f'model {model or metrics}'}
        if metrics: full = json.loads((ROOT/metrics).read_text())['judged']                 # judged by the evaluate stage already
        else:
            if model is None: row |= train(name, *VARIANTS[name][:2]); model = row['model']
            full = judge(model, OUT/name/'plots')
        step1 = OUT/name/'s1'/'model.safetensors'
        step1 = step1 if step1.exists() else STEP1_DVC                                   # --metrics / --model / step-2-only rows
        row |= {'g1_spread': g1_spread(step1), 'summary': summary(full), 'judged': full,
                'data_of': subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT, capture_output=True, text=True).stdout.strip()}   # the data and code judged
        res[name] = row
        for sheet in ('judged_generated', 'judged_edits'):                            # what a person looks at, per variant
            src = (ROOT/'plots/evaluate' if metrics else OUT/name/'plots')/f'{sheet}.png'
            if src.exists(): (ROOT/'bench'/'results'/f'generator_levers_{name}_{sheet[7:]}.png').write_bytes(src.read_bytes())
        path.write_text(json.dumps(res, indent=1))
        print(name, json.dumps(row['summary']), flush=True)
