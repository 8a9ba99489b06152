"""Compare the outputs of two `dvc repro` runs stage by stage: the same, the same but for timings, or different.

`dvc.lock` hashes whole files, and some outputs hold the seconds a run took (model metadata, training logs,
metrics), so two runs that computed exactly the same things still differ there. This tells the two apart:
every declared output of `dvc.yaml` is compared file by file, and a file that differs in bytes is read by type —
arrays (npz, safetensors) compared value by value, JSON / JSONL with timing fields left out, PNG pixel by pixel.
"Same but provenance" means only hash stamps differ (`config_hash`, file sha256s): they are derived from input
files' bytes, and e.g. the normaliser's file holds its training seconds, so its hash moves with them.

    python tools/compare_runs.py RUN_A RUN_B [--json report.json]

Exit 0 when every output is the same up to timings, 1 when something computed differs (listed per stage).
"""
import argparse, json, re, sys
from pathlib import Path

import numpy as np
import yaml

TIMING_WORDS = {'time', 'times', 'sec', 'secs', 'seconds', 'ram', 'rss', 'resumed', 'duration', 'wall'}

def is_timing(key:str) -> bool:
    "A field that records how long or how much memory a run took (`train_time_s`, `sec_per_step`, `peak_ram_mb`, ...)."
    return bool(TIMING_WORDS & set(re.split(r'[_\W]+', str(key).lower())))

SHA256 = re.compile(r'^[0-9a-f]{64}$')
PROVENANCE_KEYS = {'config_hash', 'sha256'}   # stamps derived from input files' bytes, which may hold timings

def without_timing(x, provenance:bool=False):
    "`x` without timing fields (and a dict under `steps`: the assets' per-step seconds); with `provenance`, without hash stamps too."
    if isinstance(x, dict):
        return {k: without_timing(v, provenance) for k, v in x.items()
                if not (is_timing(k) or (k == 'steps' and isinstance(v, dict)) or (provenance and k in PROVENANCE_KEYS))}
    if isinstance(x, list): return [without_timing(v, provenance) for v in x]
    if provenance and isinstance(x, str) and SHA256.match(x): return '<sha256>'
    return x

def json_verdict(a:str, b:str, root_a:str, root_b:str) -> str:
    load = lambda text, root: json.loads(text.replace(root, '<run>'))   # paths may name the run folder
    x, y = load(a, root_a), load(b, root_b)
    if without_timing(x) == without_timing(y): return 'same but timings'
    return 'same but provenance' if without_timing(x, True) == without_timing(y, True) else 'differs: values'

def arrays_verdict(a:dict, b:dict) -> str:
    same = lambda k: np.array_equal(a[k], b[k], equal_nan=a[k].dtype.kind in 'fc')
    if a.keys() != b.keys() or not all(same(k) for k in a if k not in PROVENANCE_KEYS): return 'differs: arrays'
    return 'same but timings' if all(same(k) for k in a) else 'same but provenance'

VERDICTS = ['same', 'same but timings', 'same but provenance', 'differs: values']

def compare_file(a:Path, b:Path, root_a:Path, root_b:Path) -> str:
    "'same', 'same but timings', 'same but provenance' (only hash stamps differ) or 'differs: <how>'."
    if not b.exists(): return 'differs: missing in the second run'
    if a.read_bytes() == b.read_bytes(): return 'same'
    suffix = a.suffix.lower()
    try:
        if suffix == '.json': return json_verdict(a.read_text(), b.read_text(), str(root_a), str(root_b))
        if suffix == '.jsonl':
            la, lb = a.read_text().splitlines(), b.read_text().splitlines()
            if len(la) != len(lb): return 'differs: values'
            return max((json_verdict(x, y, str(root_a), str(root_b)) for x, y in zip(la, lb)), key=VERDICTS.index, default='same')
        if suffix == '.npz':
            with np.load(a, allow_pickle=False) as za, np.load(b, allow_pickle=False) as zb: return arrays_verdict(dict(za), dict(zb))
        if suffix == '.safetensors':
            from safetensors import safe_open
            from safetensors.numpy import load_file
            if arrays_verdict(load_file(a), load_file(b)) != 'same but timings': return 'differs: tensors'
            meta = [safe_open(p, 'np').metadata() or {} for p in (a, b)]
            parse = lambda m: {k: json.loads(v) if v[:1] in '{[' else v for k, v in m.items()}
            return 'same but timings' if without_timing(parse(meta[0])) == without_timing(parse(meta[1])) else 'differs: metadata'
        if suffix == '.png':
            from PIL import Image
            return 'same but timings' if np.array_equal(np.asarray(Image.open(a)), np.asarray(Image.open(b))) else 'differs: pixels'
    except Exception as e: return f'differs: unreadable ({type(e).__name__}: {e})'
    return 'differs: bytes'

def stage_files(root:Path, stage:dict) -> list:
    "Every file of a stage's declared outputs (and metrics / plots files) under `root`, relative to it."
    files = []
    for entry in stage.get('outs', []) + stage.get('metrics', []) + stage.get('plots', []):
        path = root/(next(iter(entry)) if isinstance(entry, dict) else entry)
        files += [path] if path.is_file() else sorted(p for p in path.rglob('*') if p.is_file())
    return [p.relative_to(root) for p in dict.fromkeys(files)]

def compare_runs(a:Path, b:Path) -> dict:
    "{stage: {file: verdict}} for every output file of the first run."
    stages = yaml.safe_load((a/'dvc.yaml').read_text())['stages']
    return {name: {str(rel): compare_file(a/rel, b/rel, a, b) for rel in stage_files(a, stage)} for name, stage in stages.items()}

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('run_a'); ap.add_argument('run_b')
    ap.add_argument('--json', default='', help='also write the verdict of every file here')
    args = ap.parse_args()
    report = compare_runs(Path(args.run_a).resolve(), Path(args.run_b).resolve())
    differs = 0
    for stage, files in report.items():
        counts = {v: sum(x == v for x in files.values()) for v in VERDICTS[:3]}
        bad = {f: v for f, v in files.items() if v.startswith('differs')}
        differs += len(bad)
        print(f"{stage:18s} {len(files):5d} files: {counts['same']} same, {counts['same but timings']} same but timings, "
              f"{counts['same but provenance']} same but provenance, {len(bad)} differ")
        for f, v in list(bad.items())[:5]: print(f"    {f}: {v}")
        if len(bad) > 5: print(f"    ... and {len(bad) - 5} more")
    if args.json: Path(args.json).write_text(json.dumps(report, indent=1) + '\n')
    print('the two runs computed the same outputs (timings aside)' if not differs else f'{differs} output files differ')
    sys.exit(1 if differs else 0)

if __name__ == '__main__': main()
