"""The paper profile in miniature: every stage at the paper's shapes (1K UV maps, StyleGAN2 channel counts,
4×4 normaliser patches, the paper-size translators and SR net), with a handful of faces and 1–2 steps, on CPU.

It plans a GPU run's memory: per stage, the wall time, the peak RSS of the stage's process, and for the
training stages the seconds per step. Everything runs in a scratch copy of the repository (stage outputs left
out), so this checkout's params.yaml and data are untouched. `tests/test_paper_miniature.py` runs it in CI.

    python bench/paper_miniature.py [--out bench/results/paper_miniature.json] [--keep DIR]
"""
import argparse, json, os, platform, shutil, subprocess, sys, tempfile, time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

# Counts and steps only: every size, resolution and channel count stays the paper profile's. A few exceptions,
# each because the paper value needs what a CPU-only, offline machine lacks:
# - portraits.backend: the paper's diffusers backend needs local Stable Diffusion weights;
# - device: cuda -> cpu;
# - assets.texture_res 4096 -> 1024 and its SR chain off: 4K SR of three maps takes many CPU minutes
#   (bench/asset.py measures the 4K path on its own).
MINIATURE = {
    'portraits': {'backend': 'procedural', 'n_faces': 14, 'n_scans': 6, 'shard_size': 7},
    'filter': {'shard_size': 7},
    'train_normalizer': {'train': {'steps': 2, 'batch': 2, 'checkpoint_every': 1}, 'test_relights': 1},
    'normalize': {'eval_faces': 4},
    'train_step1': {'batch': 2, 'steps': 2, 'snapshot_every': 1, 'log_every': 1, 'device': 'cpu',
                    'D': {'mbstd_group_size': 2}},
    'train_step2': {'batch': 2, 'steps': 2, 'snapshot_every': 1, 'log_every': 1, 'device': 'cpu',
                    'D': {'mbstd_group_size': 2}, 'calibrate_samples': 4},
    'generate': {'device': 'cpu', 'n_cols': 2, 'n_identity': 2, 'n_ita': 2, 'n_effect': 2},
    'classify': {'test_fraction': 0.3, 'train': {'steps': 2, 'batch': 4}},
    'perceive': {'per_ethnicity': 1, 'flip': False},
    'evaluate': {'n_faces': 14, 'n_identity': 2, 'kid_subsets': 2, 'kid_subset_size': 4},
    'audit': {'recognizer': {'identities_per_group': 1, 'variations': 2}},
    'translate': {'train': {'steps': 2, 'batch': 2}},
    'sr': {'train': {'steps': 2, 'batch': 2}, 'fast': {'train': {'steps': 2, 'batch': 2}}},
    'assets': {'n_assets': 1, 'texture_res': 1024, 'sr_kinds': [], 'turntable': {'frames': 2}},
}

def _merge(base:dict, over:dict) -> dict:
    "Nested dict `base` updated with `over`."
    out = dict(base)
    for k, v in over.items(): out[k] = _merge(out.get(k) or {}, v) if isinstance(v, dict) else v
    return out

def miniature_params(params:dict) -> dict:
    "params.yaml with `profile: paper` and MINIATURE merged into each stage's paper overrides."
    out = dict(params, profile='paper')
    for stage, over in MINIATURE.items():
        block = dict(out[stage]); profiles = dict(block.get('profiles') or {})
        profiles['paper'] = _merge(profiles.get('paper') or {}, over)
        block['profiles'] = profiles; out[stage] = block
    return out

def scratch_copy(dest:Path) -> Path:
    "The files a clean clone holds (git's tracked + untracked-not-ignored), less every dvc.yaml output."
    listed = subprocess.run(['git', 'ls-files', '--cached', '--others', '--exclude-standard', '-z'], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout
    outs = [o.rstrip('/') for paths in stage_outs(yaml.safe_load((ROOT/'dvc.yaml').read_text())['stages']).values()
            for o in paths]
    for rel in filter(None, listed.split('\0')):
        if not (ROOT/rel).is_file() or any(rel == o or rel.startswith(o + '/') for o in outs): continue
        (dest/rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT/rel, dest/rel)
    return dest

def stage_outs(stages:dict) -> dict:
    "Stage name -> its declared output paths."
    return {name: [next(iter(o)) if isinstance(o, dict) else o for o in s.get('outs', [])] for name, s in stages.items()}

def stage_order(stages:dict) -> list:
    "Stage names in an order where each comes after the stages whose outputs it depends on."
    producer = {o.rstrip('/'): n for n, outs in stage_outs(stages).items() for o in outs}
    def made_by(dep:str) -> str|None:   # a dep is an output or a file inside an output folder
        return next((n for o, n in producer.items() if dep == o or dep.startswith(o + '/')), None)
    needs = {n: {made_by(d) for d in s.get('deps', [])} - {None} for n, s in stages.items()}
    order = []
    while needs:
        ready = [n for n, d in needs.items() if d <= set(order)]
        if not ready: raise RuntimeError(f"dvc.yaml has a dependency cycle among {sorted(needs)}")
        order += ready
        for n in ready: del needs[n]
    return order

def downstream_of(stages:dict, root:str) -> set:
    "`root` and every stage that depends on it, directly or through others."
    order, found = stage_order(stages), {root}
    producer = {o.rstrip('/'): n for n, outs in stage_outs(stages).items() for o in outs}
    for name in order:
        deps = {n for d in stages[name].get('deps', []) for o, n in producer.items() if d == o or d.startswith(o + '/')}
        if deps & found: found.add(name)
    return found

def before_gan(stages:dict) -> list:
    "The stages, in order, that run without the GAN: CI's share of the miniature (the 1K StyleGAN2 steps take minutes each on CPU)."
    gan = downstream_of(stages, 'train_step1')
    return [n for n in stage_order(stages) if n not in gan]

def stage_env() -> dict:
    "The environment of a stage: the face judges' model files of this checkout (git ignores them, so the copy lacks them)."
    judges = ROOT/'tools'/'judge'/'human-models'/'models'
    return {**os.environ, **({'FACEDIV_JUDGE_MODELS': str(judges)} if judges.is_dir() and 'FACEDIV_JUDGE_MODELS' not in os.environ else {})}

def run_stage(cmd:str, cwd:Path, log:Path) -> dict:
    "Run one stage command; its wall time and its process tree's peak RSS (the largest process, MB)."
    t0 = time.perf_counter()
    with open(log, 'w') as f:
        proc = subprocess.Popen(cmd, shell=True, cwd=cwd, stdout=f, stderr=subprocess.STDOUT, env=stage_env())
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss of a waited child is its largest descendant's peak, in KiB on Linux.
    return {'seconds': round(time.perf_counter() - t0, 1), 'peak_rss_mb': round(usage.ru_maxrss/1024),
            'returncode': proc.returncode}

def step_seconds(outs:list) -> dict:
    "Seconds per training step, per log, from the `stats.jsonl` training logs in a stage's outputs ({} when none)."
    found = {}
    for out in outs:
        for log in sorted(Path(out).glob('*stats.jsonl')) if Path(out).is_dir() else []:
            rows = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
            secs = [r.get('sec_per_step') for r in rows if isinstance(r.get('sec_per_step'), (int, float))]
            if secs: found[log.name] = [round(x, 1) for x in secs]
    return found

def stage_line(name:str, row:dict) -> str:
    "One stage of a report as a line: wall seconds, peak RSS and, for training stages, seconds per step."
    return (f"{name:18s} {row['seconds']:7.1f} s  peak RSS {row['peak_rss_mb']:6d} MB"
            + ''.join(f"  {log}: {secs} s/step" for log, secs in row.get('seconds_per_step', {}).items()))

class StageFailed(RuntimeError):
    "A stage failed; `report` holds every stage run so far, the failed one with the tail of its log."
    def __init__(self, message:str, report:dict): super().__init__(message); self.report = report

def run_miniature(work:Path, stages:list|None=None, report:dict|None=None) -> dict:
    "Run every stage (or `stages`) of the paper miniature in `work`, adding to `report`; raises `StageFailed` at the first failure."
    scratch_copy(work)
    params = yaml.safe_load((work/'params.yaml').read_text())
    (work/'params.yaml').write_text(yaml.safe_dump(miniature_params(params), sort_keys=False))
    dvc = yaml.safe_load((work/'dvc.yaml').read_text())['stages']
    report = report or {'profile': 'paper (miniature: counts and steps only, see MINIATURE)', 'miniature': MINIATURE, 'stages': {}}
    report['machine'] = f"{platform.machine()}, {os.cpu_count()} cores"
    (work/'logs').mkdir(exist_ok=True)
    for name in stages or stage_order(dvc):
        for out in stage_outs(dvc)[name]: (work/out).parent.mkdir(parents=True, exist_ok=True)
        row = run_stage(dvc[name]['cmd'], work, work/'logs'/f'{name}.log')
        steps = step_seconds([work/o for o in stage_outs(dvc)[name]])
        if steps: row['seconds_per_step'] = steps
        report['stages'][name] = row
        print(stage_line(name, row), flush=True)
        if row['returncode'] != 0:
            row['log_tail'] = (work/'logs'/f'{name}.log').read_text()[-2000:]
            raise StageFailed(f"stage {name} failed under the paper miniature:\n" + row['log_tail'], report)
    report['total_seconds'] = round(sum(r['seconds'] for r in report['stages'].values()), 1)
    report['peak_rss_mb'] = max(r['peak_rss_mb'] for r in report['stages'].values())
    return report

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--out', default=str(ROOT/'bench'/'results'/'paper_miniature.json'))
    ap.add_argument('--keep', default='', help='run in this folder and keep it (default: a temporary folder)')
    ap.add_argument('--stages', nargs='*', help='only these stages (their inputs must already be in --keep); the report adds to --out')
    ap.add_argument('--before_gan', action='store_true', help="only the stages that do not need the GAN (CI's share, minutes)")
    args = ap.parse_args()
    out = Path(args.out)
    report = json.loads(out.read_text()) if args.stages and out.exists() else None   # a partial rerun adds to the last report
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.keep or tmp); work.mkdir(parents=True, exist_ok=True)
        if args.before_gan: args.stages = before_gan(yaml.safe_load((ROOT/'dvc.yaml').read_text())['stages'])
        try: report = run_miniature(work, args.stages, report)
        except StageFailed as e: report, failed = e.report, e
        else: failed = None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + '\n')
    if failed: sys.exit(f"wrote {out} up to the failure; {failed}")
    print(f"wrote {out}: {report['total_seconds']} s in all, peak RSS {report['peak_rss_mb']} MB")

if __name__ == '__main__': main()
