"""Is a run a reproduction or a regression? Its `metrics/` against the committed `metrics/`, each number within a
tolerance measured over seeds.

Two default runs on one machine give identical metrics (`tools/compare_runs.py`). Across machines they need not:
MediaPipe and BLAS may round differently on another CPU, `reconstruct` then differs in its last bits, and every
training after it follows another path. Such a run is a reproduction when each metric lands where the default run
lands under other seeds. `bench/seed_runs.py` repeats the whole default run (portraits, trainings, evaluations:
every stage's `seed`) for seeds 1, 2, ...; the committed `metrics/` is seed 0.

Per metric (every number in metrics/*.json but timings, seeds, hash stamps and rankings), over n seeds with sample s.d. s:
a second run may differ from the committed value by up to t(0.995, n-1) · s · √2, the two-sided 99 % prediction
bound for the difference of two independent runs (√2: both are draws; t: s itself is estimated from n runs).
With 3 seeds t = 9.92, so the bound is wide: few seeds can only catch large regressions. A metric that was equal
in every seed must be equal (to 1e-9, relative).

A run passes when every HEADLINE metric (the README's results) is within its bound and at most
MAX_SHARE_OUTSIDE of all checked metrics are outside theirs or missing from the run: about 16,000 metrics at 99 %
each leave ~1 % outside by chance alone, so a single one outside means nothing by itself. Counts that happened to
be equal in every seed (a small group's size) and the intervals of groups too small in one draw land here too.

    python tools/check_metrics.py --derive            # bench/results/metric_tolerances.json from metrics/ + bench/results/seeds/seed*/
    python tools/check_metrics.py RUN                 # RUN: a clone that ran `dvc repro`, or a metrics folder
    python tools/check_metrics.py RUN --json out.json # the per-metric report
    python tools/check_metrics.py --retire 'normalize.json:.*unet' --why '...'   # metrics whose definition changed

A metric whose definition changes (another sample, another formula) no longer has a measured spread: `--retire`
takes it out of the tolerances with the reason, and the check reports how many it skips and why, until
`bench/seed_runs.py` and `--derive` measure it again.
Exit 0: a reproduction; 1: outside the tolerances (listed); 2: bad input (named, with the fix).
"""
import argparse, json, math, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'tools'))
from compare_runs import is_timing, PROVENANCE_KEYS  # noqa: E402

TOLERANCES = ROOT/'bench'/'results'/'metric_tolerances.json'
SEEDS_DIR = ROOT/'bench'/'results'/'seeds'
LEVEL = 0.99                 # two-sided prediction level per metric
MAX_SHARE_OUTSIDE = 0.03     # of all checked metrics; ~0.01 is expected by chance
EXACT_RTOL = 1e-9            # metrics equal in every seed must be equal to this
RANKINGS = {'distinguishable'}   # lists ordered by value (the audit's pairs of groups): a position names no fixed thing

# The README's results (nbs/index.ipynb), as `file:key.key`: each must be within its bound.
HEADLINE = {
    'normalization PSNR, ours (dB)': 'train_normalizer.json:psnr.normalizer',
    'normalization PSNR, colour transfer (dB)': 'train_normalizer.json:psnr.colour_transfer',
    'reconstruction vertex error (mm)': 'reconstruct.json:ground_truth.overall.vertex_mm',
    'reconstruction albedo PSNR (dB)': 'reconstruct.json:ground_truth.overall.albedo_psnr',
    'skin tone per ethnicity, generated vs data (ITA r)': 'generate.json:ita_by_ethnicity.pearson_r',
    'skin tone offset, generated − data (ITA°)': 'generate.json:ita_by_ethnicity.mean_diff_deg',
    'attribute accuracy, ethnicity': 'evaluate.json:attribute_accuracy.ethnicity.accuracy',
    'attribute accuracy, gender': 'evaluate.json:attribute_accuracy.gender.accuracy',
    'attribute accuracy, age': 'evaluate.json:attribute_accuracy.age.accuracy',
    'age effect on albedo, generator / data': 'generate.json:attribute_effects.age.albedo.ratio',
    'sex effect on geometry, generator / data': 'generate.json:attribute_effects.gender.geometry_mm.ratio',
    'coverage (recall)': 'evaluate.json:coverage.recall',
    'within-ethnicity diversity, generated': 'evaluate.json:diversity.feature_space.generated',
    'portraits: perceived gender accuracy (FaceRes)': 'perceive.json:views.portraits.overall.faceres_gender_accuracy',
    'portraits: perceived age Spearman r (FaceRes)': 'perceive.json:views.portraits.overall.faceres_age_spearman',
    'portraits: perceived age MAE (FaceRes, y)': 'perceive.json:views.portraits.overall.faceres_age_mae',
    'portraits: race agreement (GEAR)': 'perceive.json:views.portraits.overall.gear_race_agreement',
    'data as assets: perceived gender accuracy (FaceRes)': 'perceive.json:views.assets.overall.faceres_gender_accuracy',
    'data as assets: perceived age Spearman r (FaceRes)': 'perceive.json:views.assets.overall.faceres_age_spearman',
    'generated: identity spread / data (MobileFace)': 'evaluate.json:judged.identity_spread.mobileface.ratio',
    'generated: perceived gender accuracy (FaceRes)': 'evaluate.json:judged.generated.overall.faceres_gender_accuracy',
    'generated: perceived age Spearman r (FaceRes)': 'evaluate.json:judged.generated.overall.faceres_age_spearman',
    'gender edits read as the target': 'evaluate.json:judged.edits.gender.change.perceived_as_target',
    'age edits, perceived years moved': 'evaluate.json:judged.edits.age.change.perceived_years',
    'gender edit retention (MobileFace)': 'evaluate.json:judged.edits.gender.identity.mobileface.retention',
    'age edit retention (MobileFace)': 'evaluate.json:judged.edits.age.identity.mobileface.retention',
    'ethnicity edit retention (MobileFace)': 'evaluate.json:judged.edits.ethnicity.identity.mobileface.retention',
    'encode retention (MobileFace)': 'evaluate.json:judged.encode.identity.mobileface.retention',
    'random pairs dlib calls one person, generated': 'evaluate.json:diversity.same_person.random_pairs_generated',
    'specular translator gain (dB)': 'translate.json:specular.gain_db',
    '×4 SR gain over bicubic, albedo (dB)': 'sr.json:albedo.gain_db',
}

class BadInput(Exception):
    "A problem with the input, and its fix."
    def __init__(self, problem:str, fix:str): super().__init__(f'{problem}\n  fix: {fix}')

def _leaves(x, path:str):
    "(path, number) for every number in a JSON value; lists by index."
    if isinstance(x, dict):
        for k, v in x.items():
            if is_timing(k) or k in PROVENANCE_KEYS or k in RANKINGS or k == 'seed': continue
            yield from _leaves(v, f'{path}.{k}' if not path.endswith(':') else f'{path}{k}')
    elif isinstance(x, list):
        for i, v in enumerate(x): yield from _leaves(v, f'{path}[{i}]')
    elif isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x): yield path, float(x)

def metric_values(folder) -> dict:
    "`file:key.key` → value for every number in `folder`/*.json (or `folder`/metrics/*.json), timings, seeds and hash stamps left out."
    folder = Path(folder)
    if (folder/'metrics').is_dir(): folder = folder/'metrics'
    files = sorted(f for f in folder.glob('*.json') if f.name != 'RUN.json')
    if not files: raise BadInput(f'{folder} holds no metrics (*.json)', 'point at a run that finished `dvc repro` or at its metrics/ folder')
    values = {}
    for f in files:
        try: data = json.loads(f.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise BadInput(f'{f} is not readable JSON ({e})', 'rerun the stage that writes it (`dvc repro -f <stage>`)') from e
        values.update(_leaves(data, f'{f.name}:'))
    return values

def t_quantile(p:float, dof:int) -> float:
    "Student's t quantile (scipy)."
    from scipy.stats import t
    return float(t.ppf(p, dof))

def derive(seed_values:dict, level:float=LEVEL) -> dict:
    "Per-metric tolerances from {seed: metric_values}: metrics present in every seed, their values, mean, s.d. and bound."
    seeds = sorted(seed_values)
    if len(seeds) < 3: raise BadInput(f'tolerances need ≥ 3 seeds, got {len(seeds)} ({seeds})', 'run `python bench/seed_runs.py --seeds 1 2`')
    n = len(seeds)
    factor = t_quantile(0.5 + level / 2, n - 1) * math.sqrt(2)
    common = set.intersection(*(set(v) for v in seed_values.values()))
    metrics = {}
    for key in sorted(common):
        xs = [seed_values[s][key] for s in seeds]
        mean = sum(xs) / n
        sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1))
        metrics[key] = {'values': xs, 'mean': mean, 'sd': sd, 'tolerance': factor * sd}
    return {'rule': f'|run − committed| ≤ t({0.5 + level / 2:g}, n−1) · sd · √2 (two-sided {level:.0%} prediction bound for the difference '
                    f'of two runs); sd over the seeds; metrics equal in every seed must be equal (rtol {EXACT_RTOL:g})',
            'seeds': seeds, 'level': level, 'factor': factor, 'headline': HEADLINE, 'metrics': metrics}

def check(run:dict, committed:dict, tolerances:dict) -> dict:
    "Each toleranced metric of `run` against `committed`: within, outside, or missing; the verdict."
    rows, missing = {}, []
    for key, tol in tolerances['metrics'].items():
        if key not in committed: continue                      # a metric the committed run no longer has
        if key not in run: missing.append(key); continue
        diff = run[key] - committed[key]
        bound = tol['tolerance'] if tol['sd'] > 0 else EXACT_RTOL * max(1.0, abs(committed[key]))
        rows[key] = {'run': run[key], 'committed': committed[key], 'diff': diff, 'tolerance': bound,
                     'z': diff / (tol['sd'] * math.sqrt(2)) if tol['sd'] > 0 else (0.0 if diff == 0 else math.inf),
                     'within': abs(diff) <= bound}
    outside = sorted((k for k, r in rows.items() if not r['within']), key=lambda k: -abs(rows[k]['z']))
    headline = {name: rows.get(key) for name, key in tolerances['headline'].items()}
    headline_outside = [n for n, r in headline.items() if r is not None and not r['within']]
    headline_missing = [n for n, r in headline.items() if r is None]
    # A metric the run lacks counts as one outside: the audit's intervals of a tiny group come and go with the draw.
    share = (len(outside) + len(missing)) / max(len(rows) + len(missing), 1)
    ok = not headline_outside and not headline_missing and share <= MAX_SHARE_OUTSIDE
    constant = sum(tolerances['metrics'][k]['sd'] == 0 for k in outside)
    return {'reproduction': ok, 'checked': len(rows), 'retired': tolerances.get('retired', []), 'outside': outside, 'outside_constant': constant, 'share_outside': share,
            'missing': missing, 'headline': headline, 'headline_outside': headline_outside,
            'headline_missing': headline_missing, 'rows': rows}

def retire(tolerances:dict, pattern:str, why:str) -> int:
    "Take the metrics matching `pattern` (a regex over `file:key.key`) out of `tolerances`, recording why: how many."
    rx = re.compile(pattern)
    if (named := [n for n, k in tolerances['headline'].items() if rx.search(k)]):   # before anything is taken out
        raise BadInput(f'{pattern!r} matches headline metrics {named}', 'measure them again (bench/seed_runs.py, --derive) instead')
    gone = [k for k in tolerances['metrics'] if rx.search(k)]
    for k in gone: del tolerances['metrics'][k]
    if gone: tolerances.setdefault('retired', []).append({'pattern': pattern, 'why': why, 'n': len(gone)})
    return len(gone)

def seed_folders(committed:Path=ROOT/'metrics', seeds_dir:Path=SEEDS_DIR) -> dict:
    "{0: the committed metrics/, s: bench/results/seeds/seed<s>/ ...}."
    found = {0: committed}
    for d in sorted(seeds_dir.glob('seed*')) if seeds_dir.is_dir() else []:
        if re.fullmatch(r'seed\d+', d.name) and d.is_dir(): found[int(d.name[4:])] = d
    return found

def write_tolerances(tol:dict, path:Path) -> None:
    "The tolerances as JSON, one line per metric (about 16,000 of them), numbers to 6 significant digits."
    six = lambda x: [six(v) for v in x] if isinstance(x, list) else float(f'{x:.6g}') if isinstance(x, float) else x
    head = json.dumps({k: v for k, v in tol.items() if k != 'metrics'}, indent=1, ensure_ascii=False)[:-2]
    rows = ',\n'.join(f'  {json.dumps(k, ensure_ascii=False)}: {json.dumps({f: six(x) for f, x in v.items()})}' for k, v in tol['metrics'].items())
    path.write_text(f'{head},\n "metrics": {{\n{rows}\n }}\n}}\n')

def _fmt(x:float) -> str: return f'{x:.4g}'

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], epilog=__doc__.split('\n\n', 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('run', nargs='?', help="a run's folder (a clone after `dvc repro`) or its metrics folder")
    ap.add_argument('--derive', action='store_true', help='write the tolerances from metrics/ (seed 0) and bench/results/seeds/seed*/')
    ap.add_argument('--committed', default=str(ROOT/'metrics'), help='the reference metrics (default: this checkout\'s metrics/)')
    ap.add_argument('--tolerances', default=str(TOLERANCES))
    ap.add_argument('--json', default='', help='write the per-metric report here')
    ap.add_argument('--record', default='', help='write a summary (counts, headline rows) here, e.g. bench/results/metric_check.json')
    ap.add_argument('--retire', default='', help='regex of metrics whose definition changed: remove them from the tolerances (with --why)')
    ap.add_argument('--why', default='', help='with --retire: what changed (recorded in the tolerances file)')
    ap.add_argument('--label', default='', help="what the run is, for --record (e.g. 'seed 3, installed from pypi.org only')")
    args = ap.parse_args(argv)
    try:
        if args.derive:
            folders = seed_folders(Path(args.committed))
            tol = derive({s: metric_values(f) for s, f in folders.items()})
            write_tolerances(tol, Path(args.tolerances))
            varying = sum(m['sd'] > 0 for m in tol['metrics'].values())
            print(f"wrote {args.tolerances}: {len(tol['metrics'])} metrics over seeds {tol['seeds']} ({varying} vary), bound = {tol['factor']:.2f} × sd")
            return 0
        if args.retire:
            if not args.why: raise BadInput('--retire needs --why', "say what changed, e.g. --why 'scored on a 250-face sample since <commit>'")
            tol = json.loads(Path(args.tolerances).read_text())
            n = retire(tol, args.retire, args.why)
            if not n: raise BadInput(f'{args.retire!r} matches no toleranced metric', 'check the pattern against the keys in the tolerances file')
            write_tolerances(tol, Path(args.tolerances))
            print(f"retired {n} metrics matching {args.retire!r} from {args.tolerances}: {args.why}")
            return 0
        if not args.run: raise BadInput('no run given', 'python tools/check_metrics.py RUN (a clone that ran `dvc repro`), or --derive')
        if not Path(args.run).exists(): raise BadInput(f'{args.run} does not exist', "give the folder of a run that finished `dvc repro`")
        if not Path(args.tolerances).exists():
            raise BadInput(f'{args.tolerances} is missing', 'run `python bench/seed_runs.py --seeds 1 2` then `python tools/check_metrics.py --derive`')
        tol = json.loads(Path(args.tolerances).read_text())
        report = check(metric_values(args.run), metric_values(args.committed), tol)
    except BadInput as e:
        print(f'check_metrics: {e}', file=sys.stderr); return 2
    if args.json: Path(args.json).write_text(json.dumps(report, indent=1) + '\n')
    if args.record:
        summary = {'run': args.label or str(args.run), 'seeds': tol['seeds'], 'level': tol['level'], 'max_share_outside': MAX_SHARE_OUTSIDE,
                   **{k: report[k] for k in ('reproduction', 'checked', 'retired', 'outside_constant', 'share_outside', 'headline', 'headline_outside', 'missing')},
                   'outside': len(report['outside']), 'most_outside': {k: report['rows'][k] for k in report['outside'][:20]}}
        Path(args.record).write_text(json.dumps(summary, indent=1) + '\n')
    print(f"{report['checked']} metrics checked against seeds {tol['seeds']}: {len(report['outside'])} outside their bounds "
          f"({report['outside_constant']} of them equal in every seed) and {len(report['missing'])} missing from the run: "
          f"{report['share_outside']:.2%} (at most {MAX_SHARE_OUTSIDE:.0%} allowed, ~1 % expected by chance)")
    for r in report['retired']: print(f"  not checked: {r['n']} metrics matching {r['pattern']!r}: {r['why']}")
    for name, row in report['headline'].items():
        if row is None: print(f'  MISSING  {name}'); continue
        print(f"  {'ok     ' if row['within'] else 'OUTSIDE'}  {name}: {_fmt(row['run'])} vs {_fmt(row['committed'])} (±{_fmt(row['tolerance'])})")
    for key in report['outside'][:15]:
        r = report['rows'][key]
        print(f"  outside: {key}: {_fmt(r['run'])} vs {_fmt(r['committed'])} (±{_fmt(r['tolerance'])}, z {r['z']:.1f})")
    if len(report['outside']) > 15: print(f"  ... and {len(report['outside']) - 15} more (--json for all)")
    if report['missing']: print(f"  missing from the run: {len(report['missing'])} metrics, e.g. {report['missing'][:3]}")
    print('a reproduction: every headline metric within its bound' if report['reproduction'] else
          'NOT a reproduction within the measured seed variance (see above)')
    return 0 if report['reproduction'] else 1

if __name__ == '__main__':
    sys.exit(main())
