"""The README's main job, measured: a clean default `dvc repro` in a fresh clone, one stage at a time.

Clones this repository (its committed HEAD) into a scratch folder, fetches the face judges there as
`tools/install.sh` does (`tools/judge/fetch_models.sh`: they live outside git, and without them `perceive` and
`evaluate` skip their judged half), then runs `dvc repro -f -s STAGE` for every stage of dvc.yaml in the
pipeline's order, each under /usr/bin/time: wall seconds, CPU seconds (user + system), CPU % (2 cores = 200 %)
and the peak RSS of its largest process. The Python packages are this environment's (what `tools/install.sh`
installed). Then `tools/compare_runs.py` compares every output of the clone's run with this checkout's (the
committed run): a reproduction shows up as "same" or "same but timings".
Run it on an otherwise idle machine: it is a timing. Writes bench/results/default_run.json. Not a test.

    python bench/default_run.py                   # about 40 min on 2 cores
    python bench/default_run.py --keep /tmp/run   # keep the clone (its outputs) for a look
    python bench/default_run.py --reuse /tmp/run/facediv --stages perceive evaluate audit   # re-time some stages of a kept clone
"""
import argparse, datetime, json, os, platform, shutil, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def stage_order(repo:Path) -> list:
    "The stages of dvc.yaml in an order that respects their dependencies (dvc's own)."
    out = subprocess.run(['dvc', 'dag', '--md'], cwd=repo, capture_output=True, text=True, check=True).stdout
    import yaml
    stages = list(yaml.safe_load((repo/'dvc.yaml').read_text())['stages'])
    import re
    names = dict(re.findall(r'(node\d+)\["([^"]+)"\]', out))                   # mermaid: node5["classify"], node5-->node7
    deps = {s: set() for s in stages}
    for a, b in re.findall(r'(node\d+)-->(node\d+)', out): deps[names[b]].add(names[a])
    order, done = [], set()
    while len(order) < len(stages):   # Kahn's algorithm, dvc.yaml order among the ready ones
        ready = [s for s in stages if s not in done and deps[s] <= done]
        if not ready: raise SystemExit(f'dvc dag has a cycle among {set(stages) - done}')
        order.append(ready[0]); done.add(ready[0])
    return order

def timed(cmd:list, cwd:Path, log) -> dict:
    "Run `cmd` under /usr/bin/time: wall and CPU seconds, CPU % and peak RSS (MB); its output goes to `log`."
    fmt = '%e %U %S %M'
    with tempfile.NamedTemporaryFile('r', suffix='.time') as t:
        r = subprocess.run(['/usr/bin/time', '-f', fmt, '-o', t.name, *cmd], cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        wall, user, sys_, rss_kb = t.read().split()[-4:]
    if r.returncode: raise SystemExit(f"{' '.join(cmd)} failed (exit {r.returncode}); see {log.name}")
    cpu = float(user) + float(sys_)
    return {'wall_s': round(float(wall), 2), 'cpu_s': round(cpu, 1), 'cpu_percent': round(100 * cpu / max(float(wall), 1e-9)),
            'peak_rss_mb': round(int(rss_kb) / 1024)}

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--keep', default=None, help='clone into this folder and keep it (default: a scratch folder, removed)')
    ap.add_argument('--reuse', default=None, help='a clone kept by --keep: rerun --stages there and update --out in place')
    ap.add_argument('--stages', nargs='*', default=None, help='with --reuse: the stages to rerun and re-time')
    ap.add_argument('--out', default=str(ROOT/'bench/results/default_run.json'))
    args = ap.parse_args()
    if args.reuse:
        repo, stages = Path(args.reuse), json.loads(Path(args.out).read_text())['stages']
        commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()
    else:
        repo, stages = Path(args.keep or tempfile.mkdtemp(prefix='facediv-default-run-'))/'facediv', {}
        if repo.exists(): raise SystemExit(f'{repo} exists: pass an empty --keep folder')
        commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        subprocess.run(['git', 'clone', '-q', str(ROOT), str(repo)], check=True)
    env_log = open(repo.parent/'default_run.log', 'a')
    t0 = time.time()
    try:
        judges = subprocess.run(['tools/judge/fetch_models.sh'], cwd=repo, stdout=env_log, stderr=subprocess.STDOUT)
        if judges.returncode: raise SystemExit('tools/judge/fetch_models.sh failed: the judged metrics would not be computed')
        for stage in (args.stages if args.reuse and args.stages else stage_order(repo)):
            stages[stage] = timed(['dvc', 'repro', '-f', '-s', stage], repo, env_log)
            print(f'{stage}: {stages[stage]}', flush=True)
        report = repo.parent/'compare.json'
        cmp = subprocess.run([sys.executable, str(ROOT/'tools/compare_runs.py'), str(ROOT), str(repo), '--json', str(report)],
                             capture_output=True, text=True)
        verdicts = json.loads(report.read_text()) if report.exists() else {'error': cmp.stderr[-2000:]}
    finally:
        env_log.close()
    wall, cpu = sum(s['wall_s'] for s in stages.values()), sum(s['cpu_s'] for s in stages.values())
    rec = {'what': f'a clean default `dvc repro` in a fresh clone of {commit}, one stage at a time (`dvc repro -f -s STAGE`, '
                   f'timed by /usr/bin/time) by bench/default_run.py, on a {os.cpu_count()}-core {platform.machine()} machine, '
                   f'{datetime.date.today().isoformat()}; `tools/compare_runs.py` against the committed outputs: see `compare`',
           'commit': commit, 'wall_s': round(wall, 1), 'cpu_s': round(cpu, 1), 'cpu_percent': round(100 * cpu / wall),
           'peak_rss_mb': max(s['peak_rss_mb'] for s in stages.values()), 'elapsed_s': round(time.time() - t0, 1),
           'compare': {'exit_code': cmp.returncode, 'summary': cmp.stdout.strip().splitlines()[-3:], 'stages': verdicts},
           'stages': stages}
    if args.reuse:   # elapsed_s is this rerun's; say which stages it re-timed
        rec['retimed'] = {'stages': args.stages, 'elapsed_s': rec.pop('elapsed_s')}
    elif Path(args.out).exists():   # keep the run this one replaces, for the before/after of each stage
        old = json.loads(Path(args.out).read_text())
        if old.get('commit') != commit:
            rec['previous'] = {k: old[k] for k in ('commit', 'wall_s', 'cpu_percent', 'peak_rss_mb') if k in old}
            rec['previous']['stages_wall_s'] = {k: v['wall_s'] for k, v in old.get('stages', {}).items()}
            rec['previous']['stages_cpu_s'] = {k: v['cpu_s'] for k, v in old.get('stages', {}).items() if 'cpu_s' in v}
        elif 'previous' in old: rec['previous'] = old['previous']
    Path(args.out).write_text(json.dumps(rec, indent=1) + '\n')
    print(f"{wall / 60:.1f} min at {rec['cpu_percent']} % CPU, peak {rec['peak_rss_mb']} MB; compare_runs exit {cmp.returncode}")
    if not (args.keep or args.reuse): shutil.rmtree(repo.parent, ignore_errors=True)

if __name__ == '__main__':
    main()
