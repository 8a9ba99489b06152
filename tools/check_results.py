"""Check that every chapter's results come from `metrics/` (and `bench/results/`) and are current.

A chapter's results live in its `## Results…` section (from that heading to the next `##` heading). This tool:

1. re-runs the section's code cells in a fresh shell (working directory `nbs/`, as `nbdev_test` runs them) and
   fails when a cell's text output differs from the output stored in the notebook: the metrics moved and the
   chapter (or README, built from `nbs/index.ipynb`) still shows the old numbers;
2. fails when a markdown cell of the section holds a hand-typed result number (a decimal, a percentage, or a
   number with a unit such as ms, s, dB, px, mm, GB): results are computed from metrics by a code cell, and prose
   above the section explains them in words.

Usage: python tools/check_results.py nbs/*.ipynb     (exit 1 listing each stale output or hand-typed number)
Fix a stale chapter with `python tools/store_results.py nbs/X.ipynb` (then `python tools/make_readme.py` for index).
"""
import json, os, re, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from store_results import ROOT, clean_outputs, skipped, tst_flags, _text

HEADING = re.compile(r'^##\s', re.M)
RESULTS = re.compile(r'^##\s+Results', re.M)
NUMBER = re.compile(r'(?<![\w.`/-])(?:\d+(?:\.\d+)?\s?(?:%|ms|s|dB|px|mm|GB|MB|min|y)(?!\w)|\d+\.\d+)')

def results_section(nb:dict) -> list:
    "Indices of the cells of the notebook's Results section (empty when it has none)."
    cells, out, inside = nb['cells'], [], False
    for i, c in enumerate(cells):
        src = _text(c['source'])
        if c['cell_type'] == 'markdown' and HEADING.search(src): inside = bool(RESULTS.search(src))
        if inside: out.append(i)
    return out

def _texts(outputs:list) -> list:
    "The text of each output (stream text, text/markdown, text/plain), images left out."
    res = []
    for o in outputs:
        d = o.get('data', {})
        t = _text(o.get('text', '')) or _text(d.get('text/markdown', '')) or _text(d.get('text/plain', ''))
        if t and not any(k.startswith('image/') for k in d): res.append(t.rstrip())
    return res

def hand_typed(nb:dict, idx:list) -> list:
    "(cell index, number) of result numbers typed into the section's markdown cells (code spans and the heading skipped)."
    bad = []
    for i in idx:
        c = nb['cells'][i]
        if c['cell_type'] != 'markdown': continue
        body = re.sub(r'`[^`]*`', '', _text(c['source']))                      # code spans name files and params, not results
        body = '\n'.join(l for l in body.splitlines() if not l.startswith('#'))
        bad += [(i, m.group(0)) for m in NUMBER.finditer(body)]
    return bad

def _imports_only(src:str) -> bool:
    "Whether a code cell only imports (its top-level statements are all imports): safe and cheap to run first."
    import ast
    try: tree = ast.parse(src)
    except SyntaxError: return False
    return bool(tree.body) and all(isinstance(n, (ast.Import, ast.ImportFrom)) for n in tree.body)

def stale(path, nb:dict, idx:list) -> list:
    "(cell index, stored, now) for each code cell of the section whose fresh text output differs from the stored one."
    from execnb.shell import CaptureShell
    flags, bad = tst_flags(), []
    os.environ.update(OMP_NUM_THREADS='1', MPLBACKEND='Agg', IN_TEST='1')
    if str(ROOT) not in sys.path: sys.path.insert(0, str(ROOT))
    shell, cwd = CaptureShell(path, mpl_format='png'), os.getcwd()
    os.chdir(Path(path).parent)
    try:
        for c in nb['cells'][:idx[0]]:                                         # the chapter's imports and module, as the section sees them
            src = _text(c['source'])
            if c['cell_type'] != 'code': continue
            mod = re.search(r'^#\s*\|\s*default_exp\s+(\S+)', src, re.M)
            if mod: shell.run(f'from facediv.{mod.group(1)} import *')
            elif _imports_only(src): shell.run(src)
        for i in idx:
            c = nb['cells'][i]
            src = _text(c['source'])
            if c['cell_type'] != 'code' or skipped(src, flags): continue
            outs = json.loads(json.dumps(shell.run(src)))
            if shell.exc is not None:
                err = next((o.get('evalue', '') for o in outs if o['output_type'] == 'error'), repr(shell.exc))
                bad.append((i, '(stored outputs)', f'the cell raised: {err}')); continue
            now, stored = _texts(clean_outputs(outs, note=lambda s: None)), _texts(c.get('outputs', []))
            if now != stored: bad.append((i, '\n'.join(stored), '\n'.join(now)))
    finally: os.chdir(cwd)
    return bad

def _first_diff(a:str, b:str) -> str:
    "The first differing line of two texts, shown as stored → now."
    for x, y in zip(a.splitlines() + [''] * 999, b.splitlines()):
        if x != y: return f"stored: {x.strip()[:160]}\n      now:    {y.strip()[:160]}"
    return f"stored: {a[:160]!r}\n      now:    {b[:160]!r}"

def main(paths) -> int:
    problems = []
    for p in paths:
        nb = json.loads(Path(p).read_text(encoding='utf-8'))
        idx = results_section(nb)
        if not idx: continue
        problems += [f"{p} cell {i}: hand-typed result '{n}' (compute it from metrics in a code cell)" for i, n in hand_typed(nb, idx)]
        problems += [f"{p} cell {i}: stored output is stale\n      {_first_diff(a, b)}" for i, a, b in stale(p, nb, idx)]
    if problems:
        print('\n'.join(problems))
        print("fix: python tools/store_results.py <notebook> (and python tools/make_readme.py for nbs/index.ipynb)")
        return 1
    print(f"OK: the Results sections of {len(paths)} notebooks match metrics/ and hold no hand-typed result numbers")
    return 0

if __name__ == '__main__':
    if len(sys.argv) < 2 or sys.argv[1] in ('-h', '--help'): print(__doc__); sys.exit(0 if len(sys.argv) > 1 else 1)
    sys.exit(main(sys.argv[1:]))
