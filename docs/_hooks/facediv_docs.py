"""mkdocs hook of the facediv docs (mkdocs.yml `hooks:`): adds the nbdev chapters (nbs/*.ipynb) as pages without
copying them, builds the nav, copies the pipeline's figures from plots/, and fills metric tables from metrics/*.json.

Placeholders in docs/*.md (HTML comments, so the raw Markdown still reads well on GitHub):
  <!-- facediv:metrics FILE.json [KEY] -->      tables of metrics/FILE.json (or of its KEY sub-tree)
  <!-- facediv:figure plots/PATH.png CAPTION --> the figure if the pipeline made it, else a note saying how to make it
"""
from __future__ import annotations
import json, re
from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[2]
PAGES = [('Home', 'index.ipynb'), ('Getting started', 'getting_started.md'), ('Auditing bias', 'auditing.md'),
         ('Model card', 'model_card.md'), ('Data card', 'data_card.md'), ('Licenses', 'licenses.md')]

def chapters() -> list:
    "The numbered chapters in order (nbs/NN*.ipynb)."
    return sorted(p for p in (ROOT/'nbs').glob('[0-9]*.ipynb'))

def on_config(config):
    # Pages first, then one entry per chapter, in the numbering of nbs/ (new chapters appear by themselves).
    config['nav'] = [{t: p} for t, p in PAGES] + [{'Chapters': [f'nbs/{nb.name}' for nb in chapters()]}]
    return config

@event_priority(100)  # before mkdocs-jupyter turns .ipynb files into notebook pages
def on_files(files, config):
    # Real files with src_dir set (not File.generated: mkdocs-jupyter's wrapper loses a generated file's source path).
    add = lambda rel, src_dir: files.append(File(rel, src_dir=str(src_dir), dest_dir=config.site_dir, use_directory_urls=config.use_directory_urls))
    add('index.ipynb', ROOT/'nbs')                                  # the README notebook is the home page
    for nb in chapters(): add(f'nbs/{nb.name}', ROOT)
    for png in sorted((ROOT/'plots').rglob('*.png')) if (ROOT/'plots').exists() else []: add(png.relative_to(ROOT).as_posix(), ROOT)
    return files

# ---- metric tables ---------------------------------------------------------------------------------------

def _fmt(v) -> str:
    if isinstance(v, bool) or v is None: return str(v)
    if isinstance(v, float): return f'{v:.4g}'
    if isinstance(v, list): return ', '.join(_fmt(x) for x in v[:12]) + (' …' if len(v) > 12 else '')
    return str(v)

def _flat(v) -> bool: return isinstance(v, dict) and bool(v) and all(not isinstance(x, dict) for x in v.values())

def _table(rows:dict, corner:str) -> list:
    "A Markdown table from {row: {column: value}}."
    cols = list(dict.fromkeys(c for r in rows.values() for c in r))
    return ([f'| {corner} | ' + ' | '.join(cols) + ' |', '|---' * (len(cols) + 1) + '|'] +
            [f'| {k} | ' + ' | '.join(_fmt(r.get(c, '')) for c in cols) + ' |' for k, r in rows.items()] + [''])

def _records(v) -> bool: return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)

def metric_tables(obj, level:int=4) -> str:
    """Markdown tables of a metrics JSON: its scalars as metric | value; sibling dicts of scalars with the same keys as
    one table (few keys: a row per dict; many keys, e.g. per-group values: a column per dict); lists of records (a
    stage's goals) as a table with a row per record; deeper dicts recursively."""
    if not isinstance(obj, dict): return _fmt(obj)
    out = []
    scalars = {k: v for k, v in obj.items() if not isinstance(v, dict) and not _records(v)}
    if scalars: out += _table({k: {'value': v} for k, v in scalars.items()}, 'metric')
    groups = {}
    for k, v in obj.items():
        if _flat(v): groups.setdefault(tuple(v), {})[k] = v
    for keys, members in groups.items():
        if len(keys) <= 8: out += _table(members, '')
        else: out += _table({key: {m: v[key] for m, v in members.items()} for key in keys}, '')
    for k, v in obj.items():
        if _records(v):   # the first field names the row
            first = next(iter(v[0]))
            out += [f"{'#' * level} {k}", ''] + _table({str(r.get(first)): {c: x for c, x in r.items() if c != first} for r in v}, first)
        elif isinstance(v, dict) and not _flat(v): out += [f"{'#' * level} {k}", '', metric_tables(v, min(level + 1, 6)), '']
    return '\n'.join(out)

def _metrics(match) -> str:
    name, key = match.group(1), match.group(2)
    path = ROOT/'metrics'/name
    if not path.exists():
        return (f'!!! note "Not measured yet"\n    `metrics/{name}` does not exist in this checkout: run `dvc repro` '
                f'(the stage that writes it), then rebuild the docs with `tools/build_docs.sh`.\n')
    data = json.loads(path.read_text())
    for k in (key.split('.') if key else []): data = data.get(k, {}) if isinstance(data, dict) else {}
    return f'*From `metrics/{name}`{" › " + key if key else ""} of this checkout (profile in `params.yaml`).*\n\n' + metric_tables(data)

def _figure(match, page) -> str:
    rel, caption = match.group(1), match.group(2).strip()
    if not (ROOT/rel).exists():
        return (f'!!! note "Figure not built yet"\n    {caption}: `{rel}` is written by the pipeline; '
                f'run `dvc repro`, then rebuild the docs.\n')
    depth = page.file.src_uri.count('/')
    return f'![{caption}]({"../" * depth}{rel})\n\n*{caption}*\n'

def on_page_markdown(markdown, page, config, files):
    markdown = re.sub(r'<!--\s*facediv:metrics\s+(\S+)(?:\s+(\S+))?\s*-->', _metrics, markdown)
    return re.sub(r'<!--\s*facediv:figure\s+(\S+)\s+(.*?)\s*-->', lambda m: _figure(m, page), markdown)
