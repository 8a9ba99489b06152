"""The layout rules of nbs/index.ipynb ("How the code is laid out"), checked so that the structure stays as documented:
one name per stage, chapters that import only lower numbers, no import loop, no stage module reaching into another
stage module for a helper, short exported cells, and chapters that carry stored results."""
import ast, json, re
from pathlib import Path

import pytest, yaml

ROOT = Path(__file__).resolve().parents[1]
NBS = sorted((ROOT/'nbs').glob('[0-9]*.ipynb'))
STAGES = yaml.safe_load((ROOT/'dvc.yaml').read_text())['stages']
# What a stage module may use of another stage module: its *product* (a trained model's loader, the generator API, the
# exporters, the renderer), never a helper that belongs in a library chapter.
PRODUCTS = {'render': None, 'export': None,                                        # library modules that also have a stage
            'generate': {'generate', 'edit', 'load_model', 'synthesize', 'face_codes', 'face_ita', 'cosine'},
            'train_normalizer': None, 'translate': {'load_translators', 'translate', 'roughness_from_specular'},
            'sr': {'load_sr', 'upsample_maps', 'SR_KINDS', 'SR_MODELS', 'check_res'},
            'classify': {'load_classifier', 'classify_assets', 'accuracy_report', 'plot_confusions', 'predict', 'REPORTED'}}
MAX_EXPORTED_LINES = 90

def chapter_number(stem:str) -> tuple:
    m = re.match(r'(\d+)([a-z]?)_', stem)
    return int(m.group(1)), m.group(2)

def default_exp(nb:Path) -> str|None:
    for c in json.loads(nb.read_text())['cells']:
        m = re.match(r'#\s*\|\s*default_exp\s+(\S+)', ''.join(c['source']))
        if m: return m.group(1)

def facediv_imports(nb:Path) -> set:
    "Modules of facediv that the chapter's code cells import (module level or inside functions)."
    out = set()
    for c in json.loads(nb.read_text())['cells']:
        if c['cell_type'] != 'code': continue
        src = re.sub(r'^\s*[%!].*$', '', ''.join(c['source']), flags=re.M)             # magics are not Python
        try: tree = ast.parse(src)
        except SyntaxError: continue
        for n in ast.walk(tree):
            if isinstance(n, ast.ImportFrom) and n.module and n.module.startswith('facediv.'): out.add(n.module.split('.')[1])
            elif isinstance(n, ast.Import): out |= {a.name.split('.')[1] for a in n.names if a.name.startswith('facediv.')}
    return out

def test_one_name_per_stage():
    "Stage X runs facediv.X from chapter NN_X, reads block X, and names its models/plots/metrics outputs after itself."
    params = yaml.safe_load((ROOT/'params.yaml').read_text())
    modules = {default_exp(nb): nb.stem for nb in NBS}
    scripts = (ROOT/'settings.ini').read_text()
    for name, st in STAGES.items():
        assert f'python -m facediv.{name} ' in st['cmd'] + ' ', f"stage {name} must run python -m facediv.{name}"
        assert name in modules and modules[name].split('_', 1)[1] == name, f"no chapter NN_{name}.ipynb exports facediv.{name}"
        assert name in params, f"params.yaml has no block {name}"
        assert name in st.get('params', []), f"stage {name} must track its own params block"
        assert f'facediv_{name}=facediv.{name}:main' in scripts, f"settings.ini lacks console script facediv_{name}"
        for out in st.get('outs', []):
            path = next(iter(out)) if isinstance(out, dict) else out
            kind = path.split('/')[0]
            if kind in ('models', 'plots') : assert path.split('/')[1] == name, f"stage {name} writes {path}: name it {kind}/{name}"
            if kind == 'metrics': assert path == f'metrics/{name}.json', f"stage {name} writes {path}: name it metrics/{name}.json"
        assert not re.search(r'python -m facediv\.\w+ (?!-)', st['cmd'] + ' '), f"stage {name}: take flags only"

def test_notebook_stem_is_module():
    for nb in NBS:
        exp = default_exp(nb)
        if exp: assert nb.stem.split('_', 1)[1] == exp, f"{nb.name} exports facediv.{exp}: rename one of them"

def test_chapters_import_only_lower_numbers():
    number = {default_exp(nb): chapter_number(nb.stem) for nb in NBS if default_exp(nb)}
    for nb in NBS:
        if nb.stem == '00c_testing': continue                                      # at the bottom by design: see the next test
        own = chapter_number(nb.stem)
        higher = sorted(m for m in facediv_imports(nb) if m in number and number[m] > own)
        assert not higher, f"{nb.name} imports higher chapters {higher}"

def test_testing_is_for_tests_only():
    "facediv.testing imports only the floor at module level (its makers import what they need when called), and no stage uses it."
    tree = ast.parse((ROOT/'facediv'/'testing.py').read_text())
    top = {n.module.split('.')[-1] for n in tree.body if isinstance(n, ast.ImportFrom) and n.module and (n.level or n.module.startswith('facediv.'))}
    assert top <= {'core'}, f"facediv.testing imports {sorted(top - {'core'})} at module level"
    imp = _module_imports()
    users = [s for s in STAGES if 'testing' in imp.get(s, {})]
    assert not users, f"stage modules import facediv.testing: {users}"

def _module_imports() -> dict:
    out = {}
    for p in (ROOT/'facediv').glob('*.py'):
        if p.name.startswith('_'): continue
        names = {}
        for n in ast.walk(ast.parse(p.read_text())):
            if isinstance(n, ast.ImportFrom) and n.module and (n.level == 1 or n.module.startswith('facediv.')):
                names.setdefault(n.module.split('.')[-1], set()).update(a.name for a in n.names)
        out[p.stem] = names
    return out

def test_no_import_loop_and_no_stage_helpers():
    imp = _module_imports()
    for a, deps in imp.items():
        for b in deps:
            assert a not in imp.get(b, {}), f"import loop: facediv.{a} <-> facediv.{b}"
    for stage in STAGES:
        for other, names in imp.get(stage, {}).items():
            if other in STAGES and other != stage:
                allowed = PRODUCTS.get(other, set())
                if allowed is None: continue
                extra = sorted(names - allowed)
                assert not extra, f"stage module {stage} imports {extra} from stage module {other}: move them to a library chapter"

def test_exported_cells_are_short():
    long = [(nb.name, c.get('id'), ''.join(c['source']).count('\n') + 1) for nb in NBS for c in json.loads(nb.read_text())['cells']
            if c['cell_type'] == 'code' and ''.join(c['source']).startswith('#|export') and ''.join(c['source']).count('\n') + 1 > MAX_EXPORTED_LINES]
    assert not long, f"exported cells over {MAX_EXPORTED_LINES} lines (split them into documented pieces): {long}"

def test_every_chapter_has_stored_results():
    empty = [nb.name for nb in NBS if not any(c.get('outputs') for c in json.loads(nb.read_text())['cells'] if c['cell_type'] == 'code')]
    assert not empty, f"chapters with no stored output (run tools/store_results.py on them): {empty}"

def test_no_undefined_names():
    "Moving code between chapters must not leave a name behind: pyflakes finds undefined names in the exported modules."
    pyflakes = pytest.importorskip('pyflakes.api')
    from pyflakes import reporter, messages
    found = []
    class Collect(reporter.Reporter):
        def __init__(self): super().__init__(None, None)
        def flake(self, m):
            if isinstance(m, (messages.UndefinedName, messages.UndefinedLocal)): found.append(str(m))
        def syntaxError(self, *a): found.append(f'syntax error {a}')
        def unexpectedError(self, *a): found.append(f'error {a}')
    for p in sorted((ROOT/'facediv').glob('*.py')): pyflakes.checkPath(str(p), Collect())
    assert not found, '\n'.join(found)
