"tools/dvc_deps.py on a tiny fake package and dvc.yaml in tmp_path (never on the repo's own dvc.yaml)."
import importlib.util, subprocess, sys
from pathlib import Path
import pytest

TOOL = Path(__file__).resolve().parents[1]/'tools'/'dvc_deps.py'
spec = importlib.util.spec_from_file_location('dvc_deps', TOOL)
dvc_deps = importlib.util.module_from_spec(spec); spec.loader.exec_module(dvc_deps)

MODULES = {
    '__init__.py': "__version__ = '0.1'\nfrom .unused import *   # ignored: __init__ is not a code dep\n",
    '_modidx.py': "d = {'syms': {'facediv.unused': {}}}\n",
    'core.py': "import facediv   # only for facediv.__version__: adds nothing\nX = 1\n"
               "def late():\n    from . import util   # function-local; util imports core back: a cycle\n    return util\n",
    'util.py': "from facediv.core import X\n",
    'model.py': "import json\nfrom facediv import util, __version__\n"
                "def f():\n    from facediv.core import X\n    return X\n",
    'train.py': "from .core import X\nimport facediv.model as m\n",
    'unused.py': "from .core import X\n",
}

DVC_YAML = """\
# a fake pipeline: these comments, the stage order and every other key must survive --write
vars:
  - params.yaml
stages:
  train:   # the training stage
    cmd: >-
      python -m facediv.train --params params.yaml
      --out models/train
    deps: [data/raw, facediv/train.py, facediv/core.py,
           facediv/unused.py]   # code deps
    params: [train]
    outs:
      - models/train:
          persist: true   # resume after an interruption

  evaluate:
    cmd: python -m facediv.model eval models/train
    deps:
      # inputs first
      - models/train   # the trained model
      - facediv/model.py
      - facediv/util.py
      - facediv/unused.py
    metrics:
      - metrics/eval.json:
          cache: false

  report:   # in sync (code deps in another order): left as written
    cmd: python -m facediv.util
    deps: [facediv/core.py, facediv/util.py]

plots:
  - plots/losses.csv:
      x: step
"""

FIXED = DVC_YAML.replace("""\
    deps: [data/raw, facediv/train.py, facediv/core.py,
           facediv/unused.py]   # code deps
""", """\
    deps:
      # code deps
      - data/raw
      - facediv/train.py
      - facediv/core.py
      - facediv/model.py
      - facediv/util.py
""").replace("""\
      - models/train   # the trained model
      - facediv/model.py
      - facediv/util.py
      - facediv/unused.py
""", """\
      - models/train  # the trained model
      - facediv/model.py
      - facediv/core.py
      - facediv/util.py
""")

@pytest.fixture
def repo(tmp_path):
    pkg = tmp_path/'facediv'; pkg.mkdir()
    for name, src in MODULES.items(): (pkg/name).write_text(src)
    (tmp_path/'dvc.yaml').write_text(DVC_YAML)
    return tmp_path

def run(repo, *args):
    return subprocess.run([sys.executable, str(TOOL), *args, '--dvc-yaml', str(repo/'dvc.yaml'), '--package', str(repo/'facediv')],
                          capture_output=True, text=True)

def test_closure(repo):
    pkg = repo/'facediv'
    assert dvc_deps.imported_modules(pkg/'core.py', pkg) == {'util'}     # not `import facediv`, not __init__'s unused
    assert dvc_deps.imported_modules(pkg/'model.py', pkg) == {'util', 'core'}
    assert dvc_deps.closure(['train'], pkg) == {'train', 'core', 'util', 'model'}
    assert dvc_deps.closure(['util'], pkg) == {'util', 'core'}             # the cycle ends

def test_check_write_check(repo):
    r = run(repo, '--check')
    assert r.returncode == 1, r.stdout + r.stderr
    assert "stage 'train'" in r.stdout and "stage 'evaluate'" in r.stdout and "'report'" not in r.stdout
    assert 'missing: facediv/model.py, facediv/util.py\n  extra:   facediv/unused.py' in r.stdout
    assert 'missing: facediv/core.py\n  extra:   facediv/unused.py' in r.stdout
    assert 'fix: python tools/dvc_deps.py --write' in r.stdout

    r = run(repo, '--write')
    assert r.returncode == 0, r.stderr
    assert 'train, evaluate' in r.stdout
    assert (repo/'dvc.yaml').read_text() == FIXED    # only the two drifted deps lists changed; comments kept

    r = run(repo, '--check')
    assert r.returncode == 0 and r.stdout.startswith('dvc_deps: OK: the code deps of all 3 stages'), r.stdout
    before = (repo/'dvc.yaml').read_bytes()
    r = run(repo, '--write')
    assert r.returncode == 0 and 'nothing written' in r.stdout
    assert (repo/'dvc.yaml').read_bytes() == before  # idempotent

def test_graph(repo):
    r = run(repo, '--graph')
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        'train: facediv.train -> facediv/train.py, facediv/core.py, facediv/model.py, facediv/util.py',
        'evaluate: facediv.model -> facediv/model.py, facediv/core.py, facediv/util.py',
        'report: facediv.util -> facediv/util.py, facediv/core.py']

def test_stage_without_deps_gets_a_list(repo):
    (repo/'dvc.yaml').write_text("stages:\n  a:\n    cmd: python -m facediv.util\n    outs:\n      - out\n# end\n")
    assert run(repo, '--write').returncode == 0
    assert (repo/'dvc.yaml').read_text() == ("stages:\n  a:\n    cmd: python -m facediv.util\n    outs:\n      - out\n"
                                              "    deps:\n      - facediv/util.py\n      - facediv/core.py\n# end\n")

@pytest.mark.parametrize('cmd, problem', [('echo hi', 'runs no `python -m facediv.<module>`'),
                                          ('python -m facediv.gone x', 'facediv/gone.py')])
def test_errors_name_the_stage(repo, cmd, problem):
    text = DVC_YAML.replace('python -m facediv.util\n', cmd + '\n')
    (repo/'dvc.yaml').write_text(text)
    for action in ('--check', '--write'):
        r = run(repo, action)
        assert r.returncode == 2 and "stage 'report'" in r.stderr and problem in r.stderr, r.stderr
    assert (repo/'dvc.yaml').read_text() == text
