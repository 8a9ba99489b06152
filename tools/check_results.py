"""Check that every chapter's results come from `metrics/` (and `bench/results/`) and are current.

A chapter's results live in its `## Results…` section (from that heading to the next `##` heading). This tool:

1. re-runs the section's code cells in a fresh shell (working directory `nbs/`, as `nbdev_test` runs them) and
   fails when a cell's text output differs from the output stored in the notebook: the metrics moved and the
   chapter (or README, built from `nbs/index.ipynb`) still shows the old numbers;
2. fails when a markdown cell of the section holds a hand-typed result number (a decimal, a percentage, or a
   number with a unit such as ms, s, dB, px, mm, GB): results are computed from metrics by a code cell, and prose
   above the section explains them in words.

3. fails when prose anywhere else (other chapter sections, the README's notebook, docs/*.md cards) holds such a
   number with nothing behind it. A number is backed when its value, at the precision shown, is in
   - `params.yaml`, or the chapter's own code cells and their outputs (design values, computed numbers), or
   - a file the cell names in `<!-- numbers from: metrics/x.json bench/results/y.json -->` (an HTML comment, so the
     prose still reads well): the number must still be in that file, so it fails when the file moves on;
   a cell (or a whole `##` section, from its heading cell) that records past runs says so visibly with a line
   `*Recorded at commit <sha> …*`, naming a commit of this repository; its numbers are history, not checked.

Usage: python tools/check_results.py nbs/*.ipynb docs/*.md   (exit 1 listing each stale output or unbacked number)
Fix a stale chapter with `python tools/store_results.py nbs/X.ipynb` (then `python tools/make_readme.py` for index).
"""
import functools, json, math, os, re, subprocess, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from store_results import ROOT, clean_outputs, skipped, tst_flags, _text

HEADING = re.compile(r'^##\s', re.M)
RESULTS = re.compile(r'^##\s+Results', re.M)
NUMBER = re.compile(r'(?<![\w.`/-])(?:\d+(?:\.\d+)?\s?(?:%|ms|s|dB|px|mm|GB|MB|min|y)(?!\w)|\d+\.\d+(?![\d.]*\.\d))')   # x.y.z: a version
CODE_SPANS = re.compile(r'`[^`]*`')                                            # code spans name files and params, not results
NOT_RESULTS = re.compile(CODE_SPANS.pattern + r'|arXiv[\s:]*\d+\.\d+|https?://\S+')   # ... nor do paper ids and links

def _body(markdown:str, drop=CODE_SPANS) -> str:
    "The prose of a markdown text whose numbers are checked: `drop` removed, heading lines left out."
    return '\n'.join(l for l in drop.sub('', markdown).splitlines() if not l.startswith('#'))

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
        bad += [(i, m.group(0)) for m in NUMBER.finditer(_body(_text(c['source'])))]
    return bad

LIST_UNIT = re.compile(r'(?:\s*(?:/|–|-|and|to)\s*\d+(?:\.\d+)?)+\s?(%|ms|s|dB|px|mm|GB|MB|min|y)(?!\w)')
SOURCES = re.compile(r'<!--\s*numbers from:\s*(.*?)\s*-->', re.S)
RECORD = re.compile(r'^\*Recorded at commit ([0-9a-f]{7,40})\b', re.M)
SCALES = {'%': (0.01, 1), 'ms': (1e-3, 1), 's': (1, 1e-3), 'min': (60, 1), 'mm': (1, 1e-3), 'GB': (1, 1e3, 1024, 2 ** 30, 1e9),
          'MB': (1, 2 ** 20, 1e6)}                                               # the units a stored value may be in

def _numbers(x, out:list) -> list:
    "Every number in a parsed JSON/YAML value or a text, appended to `out` (absolute values)."
    if isinstance(x, bool): return out
    if isinstance(x, (int, float)):
        if math.isfinite(x): out.append(abs(float(x)))
    elif isinstance(x, dict): [_numbers(v, out) for v in x.values()]
    elif isinstance(x, list): [_numbers(v, out) for v in x]
    elif isinstance(x, str): out += [float(m.group(0)) for m in re.finditer(r'\d+(?:\.\d+)?', x)]
    return out

@functools.lru_cache(maxsize=None)                                               # a file named by many cells is read once
def _file_numbers(path:Path) -> list:
    "The numbers in a JSON or YAML file (any other file: as text)."
    text = path.read_text(encoding='utf-8')
    if path.suffix == '.json': return _numbers(json.loads(text), [])
    if path.suffix in ('.yaml', '.yml'):
        import yaml
        return _numbers(yaml.safe_load(text), [])
    return _numbers(text, [])

def backed(token:str, values) -> bool:
    "Whether a displayed number (with its unit) equals, at the precision shown, one of `values` (in one of the unit's scales)."
    import numpy as np
    m = re.match(r'(\d+(?:\.\d+)?)\s?(\S*)', token.strip())
    digits, unit = m.group(1), m.group(2)
    half, x = 0.5 * 10 ** -(len(digits.split('.')[1]) if '.' in digits else 0), float(digits)
    v = np.asarray(values, float)
    return any(((v >= (x - half) * k - 1e-9) & (v <= (x + half) * k + 1e-9)).any() for k in SCALES.get(unit, (1,)))

def _commit_exists(sha:str) -> bool:
    r = subprocess.run(['git', '-C', str(ROOT), 'cat-file', '-e', f'{sha}^{{commit}}'], capture_output=True)
    if r.returncode == 0: return True
    shallow = subprocess.run(['git', '-C', str(ROOT), 'rev-parse', '--is-shallow-repository'], capture_output=True, text=True)
    return shallow.stdout.strip() == 'true'                                      # a shallow clone cannot tell: trust it

def _resolve(name:str, near:Path) -> Path|None:
    for base in (ROOT, near):
        if (base/name).exists(): return base/name
    return None

def _with_list_unit(body:str, m) -> str:
    "A number as shown, with the unit that ends its list when it has none of its own (\"1.6 / 1.4 / 1.4 GB\")."
    u = LIST_UNIT.match(body, m.end())
    return m.group(0) + (' ' + u.group(1) if u and not re.search(r'\D$', m.group(0)) else '')

def unbacked(texts:list, own:list, near:Path) -> list:
    "(item index, problem) for the result numbers of prose `texts` ([(index, markdown, in a record section)]) with nothing behind them."
    base = own + _file_numbers(ROOT/'params.yaml')
    bad = []
    for i, text, recorded in texts:
        for sha in RECORD.findall(text):
            if not _commit_exists(sha): bad.append((i, f"names commit {sha}, which is not in this repository"))
        if recorded or RECORD.search(text): continue                             # a visible record of past runs
        values = list(base)
        for name in ' '.join(SOURCES.findall(text)).split():
            path = _resolve(name, near)
            if path is None: bad.append((i, f"names {name} as its numbers' source, but it does not exist")); continue
            values += _file_numbers(path)
        body = _body(SOURCES.sub('', text), NOT_RESULTS)
        bad += [(i, f"'{m.group(0)}' has no source (name its file in <!-- numbers from: … -->, compute it, or label the cell "
                    f"as a record: *Recorded at commit …*)") for m in NUMBER.finditer(body) if not backed(_with_list_unit(body, m), values)]
    return bad

def prose(nb:dict) -> list:
    "[(cell index, markdown, inside a record section)] of the markdown cells outside the Results section."
    out, results, recorded = [], set(results_section(nb)), False
    for i, c in enumerate(nb['cells']):
        src = _text(c['source'])
        if c['cell_type'] != 'markdown': continue
        if HEADING.search(src): recorded = bool(RECORD.search(src))
        if i not in results: out.append((i, src, recorded))
    return out

def own_numbers(nb:dict) -> list:
    "The numbers of a chapter's code cells and their text outputs: what it defines or computes."
    out = []
    for c in nb['cells']:
        if c['cell_type'] != 'code': continue
        _numbers(_text(c['source']), out)
        for t in _texts(c.get('outputs', [])): _numbers(t, out)
    return out

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
        if p.endswith('.md'):                                                   # a docs page: each section is one piece of prose
            text = Path(p).read_text(encoding='utf-8')
            sections = [(k, t, False) for k, t in enumerate(re.split(r'\n(?=#{1,6}\s)', text))]
            problems += [f"{p} section {k}: {why}" for k, why in unbacked(sections, [], Path(p).parent)]
            continue
        nb = json.loads(Path(p).read_text(encoding='utf-8'))
        problems += [f"{p} cell {i}: {why}" for i, why in unbacked(prose(nb), own_numbers(nb), Path(p).parent)]
        idx = results_section(nb)
        if not idx: continue
        problems += [f"{p} cell {i}: hand-typed result '{n}' (compute it from metrics in a code cell)" for i, n in hand_typed(nb, idx)]
        problems += [f"{p} cell {i}: stored output is stale\n      {_first_diff(a, b)}" for i, a, b in stale(p, nb, idx)]
    if problems:
        print('\n'.join(problems))
        print("fix: python tools/store_results.py <notebook> (and python tools/make_readme.py for nbs/index.ipynb)")
        return 1
    print(f"OK: the Results sections of {len(paths)} files match metrics/ and their prose holds no number without a source")
    return 0

if __name__ == '__main__':
    if len(sys.argv) < 2 or sys.argv[1] in ('-h', '--help'): print(__doc__); sys.exit(0 if len(sys.argv) > 1 else 1)
    sys.exit(main(sys.argv[1:]))
