"""Run notebooks the way `nbdev_test` does and store their cleaned outputs, so chapters carry their results.

The docs (mkdocs-jupyter) render the outputs stored in `nbs/*.ipynb`; this tool puts them there, without local
paths, warnings, stderr, progress bars, widgets or oversized images.

Usage:
  python tools/store_results.py nbs/X.ipynb [...]        execute each notebook, store its cleaned outputs
  python tools/store_results.py --check nbs/*.ipynb      execute nothing; exit 1 if stored outputs need cleaning
  python tools/store_results.py --list nbs/*.ipynb       stored outputs, images and file size per notebook

Executing (`execute_notebook`, importable): a fresh `execnb.shell.CaptureShell`, working directory = the notebook's
folder, the repo root on `sys.path`, `IN_TEST=1`; cells with `#| eval: false`, with a `tst_flags` directive from
settings.ini (`notest slow`) or calling `nbdev_export(` are skipped and keep no outputs. If a cell raises, that
notebook is left unchanged, the cell and its error are printed, and the exit status is 1.
"""
import configparser, copy, json, os, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_IMAGE = 400_000                                     # bytes of stored (base64) image data; bigger ones are dropped
IMAGES = ('image/png', 'image/jpeg')
TEXTS = ('text/plain', 'text/html', 'text/markdown')
WIDGET = 'application/vnd.jupyter.widget-view+json'
WARNING = re.compile(r'Warning:|warnings\.warn|TqdmWarning')
PROGRESS = re.compile(r'\d+%\|[^|\n]*\|\s*\d+/\d+'       # tqdm bar: " 40%|####      | 4/10 [...]"
                      r'|\[\d\d:\d\d[^\]\n]*/(?:s|it)\]')  # tqdm timing: "12shard [00:01, 9.87shard/s]"
LOCAL_PATH = re.compile(r"(?<![\w.~/-])(?<!<tmp>)(?<!<local>)(?<!<site-packages>)"   # the repo itself may live anywhere (CI: /check/...)
                        rf"(?:{re.escape(str(ROOT))}\b|/(?:tmp|root|work|home)\b|/[^\s'\"<>&`]*site-packages)"
                        r"[^\s'\"<>&`,;:)\]]*")
DIRECTIVE = re.compile(r'^\s*#\s*\|\s*(.*)$')

class CellError(Exception):
    "A cell raised while `execute_notebook` ran it."
    def __init__(self, path, index, source, traceback):
        self.path, self.index, self.source, self.traceback = path, index, source, traceback
        super().__init__(f"{path}: cell {index} raised")

def tst_flags(root=ROOT) -> set:
    "The `tst_flags` of settings.ini: directives marking cells `nbdev_test` skips."
    cfg = configparser.ConfigParser(); cfg.read(Path(root)/'settings.ini')
    return set(cfg.get('DEFAULT', 'tst_flags', fallback='').split())

def directives(source:str) -> dict:
    "Leading `#|` directives of a cell, as nbdev reads them: `#| eval: false` -> {'eval': ['false']}."
    res = {}
    for line in source.splitlines():
        if not line.strip() or line.lstrip().startswith('%%'): continue
        m = DIRECTIVE.match(line)
        if not m: break
        words = m.group(1).replace(':', ': ').split()
        if words: res[words[0].rstrip(':')] = words[1:]
    return res

def skipped(source:str, flags) -> bool:
    "Whether `nbdev_test` would skip a code cell with this `source` given the skip `flags`."
    d = directives(source)
    return 'nbdev_export(' in source or [w.lower() for w in d.get('eval', [''])[:1]] == ['false'] or bool(set(flags) & d.keys())

def execute_notebook(path, skip_flags=None, mpl_format:str='png') -> dict:
    "Run notebook `path` as `nbdev_test` does; return its JSON with raw outputs (skipped cells: none). Raises `CellError`."
    from execnb.shell import CaptureShell
    path = Path(path).resolve()
    nb = json.loads(path.read_text(encoding='utf-8'))
    flags = tst_flags() if skip_flags is None else set(skip_flags)
    os.environ.update(OMP_NUM_THREADS='1', MPLBACKEND='Agg', IN_TEST='1')
    if str(ROOT) not in sys.path: sys.path.insert(0, str(ROOT))
    shell = CaptureShell(path, mpl_format=mpl_format)   # 'png', not execnb's 'retina': same pixels per inch, 1/4 the bytes
    cwd = os.getcwd(); os.chdir(path.parent)
    try:
        for i, cell in enumerate(nb['cells']):
            if cell['cell_type'] != 'code': continue
            cell['execution_count'], cell['outputs'] = None, []
            src = ''.join(cell['source'])
            if skipped(src, flags): continue
            outs = json.loads(json.dumps(shell.run(src)))
            if shell.exc is not None:
                tb = next((o['traceback'] for o in outs if o['output_type'] == 'error'), [repr(shell.exc)])
                raise CellError(path, i, src, ''.join(tb))
            cell['outputs'] = outs
    finally: os.chdir(cwd)
    return nb

def _text(v): return ''.join(v) if isinstance(v, list) else v

def _short_path(m) -> str:
    "Neutral form of a local path: repo-relative inside the repo, `<tmp>/…` below a temp dir, `<site-packages>/…`, else `<local>/name`."
    p = m.group(0); tail = p[len(p.rstrip('.')):]; p = p.rstrip('.') or p
    if 'site-packages/' in p: return '<site-packages>/' + p.split('site-packages/', 1)[1] + tail
    try: return (Path(p).relative_to(ROOT).as_posix() or '.') + tail
    except ValueError: pass
    parts = p.strip('/').split('/')
    if parts[0] != 'tmp': return '<local>/' + parts[-1] + tail
    parts = parts[2:] or parts[1:]                                   # drop /tmp/<random dir>/ and nested temp dirs
    while len(parts) > 1 and re.match(r'(tmp|pytest)', parts[0]): parts = parts[1:]
    return '<tmp>/' + '/'.join(parts) + tail

def _clean_text(v, note):
    "`v` (a string or list of lines) with local paths shortened, keeping its shape."
    def sub(s):
        new = LOCAL_PATH.sub(_short_path, s)
        if new != s: note(f"local path: {s.strip()[:100]}")
        return new
    return [sub(s) for s in v] if isinstance(v, list) else sub(v)

def clean_outputs(outputs:list, note=print) -> list:
    "Cleaned copy of a cell's `outputs`: no stderr, warnings, progress bars, widgets or images over `MAX_IMAGE`; local paths shortened."
    res = []
    for o in copy.deepcopy(outputs):
        kind, data = o.get('output_type'), o.get('data', {})
        texts = [_text(o.get('text', ''))] + [_text(data.get(k, '')) for k in TEXTS]
        if kind == 'stream' and o.get('name') == 'stderr': note('stderr output dropped'); continue
        if any(WARNING.search(t) for t in texts): note(f"warning dropped: {next(t for t in texts if WARNING.search(t)).strip()[:100]}"); continue
        if any(PROGRESS.search(t) for t in texts): note('progress bar dropped'); continue
        if WIDGET in data: note('widget dropped'); continue
        big = [k for k in IMAGES if len(_text(data.get(k, ''))) > MAX_IMAGE]
        if big: note(f"{big[0]} of {len(_text(data[big[0]])) // 1000} kB dropped (limit {MAX_IMAGE // 1000} kB)"); continue
        if 'text' in o: o['text'] = _clean_text(o['text'], note)
        for k in TEXTS:
            if k in data: data[k] = _clean_text(data[k], note)
        if kind == 'error':
            o['evalue'] = _clean_text(o.get('evalue', ''), note); o['traceback'] = _clean_text(o.get('traceback', []), note)
        res.append(o)
    return res

def write_nb(nb:dict, path):
    "Write notebook JSON as nbdev does (sorted keys, indent 1, UTF-8, trailing newline), atomically."
    path = Path(path); tmp = path.with_name(path.name + '.tmp')
    tmp.write_text(json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + '\n', encoding='utf-8')
    os.replace(tmp, path)

def _sources(nb): return [(c.get('id'), c['cell_type'], _text(c['source'])) for c in nb['cells']]

def store_results(path) -> bool:
    "Execute `path`, clean every cell's outputs and store them; False (file unchanged) if a cell raised or the file changed meanwhile."
    path = Path(path)
    before = json.loads(path.read_text(encoding='utf-8'))
    try: nb = execute_notebook(path)
    except CellError as e:
        print(f"{e.path}: cell {e.index} raised; notebook left unchanged.\n--- cell ---\n{e.source}\n--- error ---\n{e.traceback}")
        return False
    for i, cell in enumerate(nb['cells']):
        if cell['cell_type'] == 'code':
            cell['outputs'] = clean_outputs(cell['outputs'], note=lambda s, i=i: print(f"  {path.name} cell {i}: {s}"))
    now = json.loads(path.read_text(encoding='utf-8'))     # re-read: someone may have edited it while it ran
    if _sources(now) != _sources(before):
        print(f"{path}: edited while it ran; not written (run again)"); return False
    write_nb(nb, path); print(f"{path}: {_count(nb)}"); return True

def _count(nb) -> str:
    outs = [o for c in nb['cells'] for o in c.get('outputs', [])]
    imgs = sum(any(k in o.get('data', {}) for k in IMAGES) for o in outs)
    return f"{len(outs)} outputs, {imgs} images"

def check(paths) -> int:
    "Exit status of `--check`: 1, listing the cells, if any stored outputs would be changed by `clean_outputs`."
    bad = []
    for p in paths:
        for i, cell in enumerate(json.loads(Path(p).read_text(encoding='utf-8'))['cells']):
            notes = []
            if cell.get('outputs') and clean_outputs(cell['outputs'], note=notes.append) != cell['outputs']:
                bad.append(f"{p} cell {i} (id {cell.get('id')}): " + '; '.join(dict.fromkeys(notes)))
    if bad:
        print('\n'.join(bad)); print(f"fix: python tools/store_results.py <notebook> (or clear those outputs)"); return 1
    print(f"OK: stored outputs of {len(paths)} notebooks carry no local paths, warnings or stderr"); return 0

def main(argv):
    if not argv or argv[0] in ('-h', '--help'): print(__doc__); return 0 if argv else 1
    mode, paths = (argv[0], argv[1:]) if argv[0] in ('--check', '--list') else (None, argv)
    if mode == '--check': return check(paths)
    if mode == '--list':
        for p in paths: print(f"{p}\t{_count(json.loads(Path(p).read_text(encoding='utf-8')))}\t{Path(p).stat().st_size // 1000} kB")
        return 0
    return 0 if all([store_results(p) for p in paths]) else 1

if __name__ == '__main__': sys.exit(main(sys.argv[1:]))
