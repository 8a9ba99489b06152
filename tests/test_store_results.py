"""`tools/store_results.py` on a tiny notebook: outputs stored and cleaned, skipped cells empty, --check before/after."""
import json, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT/'tools'/'store_results.py'
# A 1x1 red PNG.
PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC'

def notebook(*sources, outputs=None) -> dict:
    cells = [dict(cell_type='code', execution_count=None, id=f"{i:08x}", metadata={}, outputs=(outputs or {}).get(i, []),
                  source=s.splitlines(True)) for i, s in enumerate(sources)]
    return dict(cells=cells, metadata={}, nbformat=4, nbformat_minor=5)

def tool(*args, cwd=ROOT):
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=300)

def test_store_and_check(tmp_path):
    nbf = tmp_path/'demo.ipynb'
    out_png = tmp_path/'out'/'plot.png'
    nbf.write_text(json.dumps(notebook(
        f"print('saved to {out_png}')\nprint('cwd is', __import__('os').getcwd())",
        "import warnings\nwarnings.warn('careful')\nprint('x.py:3: UserWarning: careful')",
        "#| eval: false\nprint('never run')",
        "#|eval: false\nprint('never run either')",
        "#| slow\nprint('slow: skipped like nbdev_test')",
        f"import base64\nfrom IPython.display import Image, display\ndisplay(Image(data=base64.b64decode('{PNG}'), format='png'))",
        "1 + 1",
        outputs={2: [dict(output_type='stream', name='stdout', text=['stale\n'])]}), indent=1))

    # Before: a stored stale output is clean, so --check passes; after a dirty run it must fail.
    r = tool('--check', nbf); assert r.returncode == 0, r.stdout
    dirty = json.loads(nbf.read_text())
    dirty['cells'][0]['outputs'] = [dict(output_type='stream', name='stdout', text=[f'saved to {out_png}\n'])]
    dirty['cells'][1]['outputs'] = [dict(output_type='stream', name='stderr', text=['demo.py:2: UserWarning: careful\n'])]
    nbf.write_text(json.dumps(dirty, indent=1))
    r = tool('--check', nbf)
    assert r.returncode == 1 and 'cell 0' in r.stdout and 'cell 1' in r.stdout, r.stdout

    r = tool(nbf); assert r.returncode == 0, r.stdout + r.stderr
    cells = json.loads(nbf.read_text())['cells']
    text0 = ''.join(cells[0]['outputs'][0]['text'])
    assert str(tmp_path) not in text0 and '/tmp/' not in text0, text0
    assert 'saved to <tmp>/' in text0 and '/out/plot.png' in text0, text0  # the temp dir's random name is dropped
    assert 'cwd is <tmp>/' in text0                                       # ran in the notebook's folder; path hidden
    assert cells[1]['outputs'] == []                                      # stderr warning and stdout warning dropped
    assert [c['outputs'] for c in cells[2:5]] == [[], [], []]             # eval: false / tst_flags: not run, no outputs
    assert cells[5]['outputs'][0]['data']['image/png'].strip() == PNG     # the image is kept
    assert cells[6]['outputs'][0]['data']['text/plain'] == ['2']
    assert all(c['execution_count'] is None for c in cells)
    r = tool('--check', nbf); assert r.returncode == 0 and r.stdout.startswith('OK'), r.stdout
    r = tool('--list', nbf); assert '3 outputs, 1 images' in r.stdout, r.stdout

def test_error_leaves_notebook_unchanged(tmp_path):
    nbf = tmp_path/'bad.ipynb'
    nbf.write_text(json.dumps(notebook("print('fine')", "raise ValueError('boom')"), indent=1))
    before = nbf.read_text()
    r = tool(nbf)
    assert r.returncode == 1 and 'boom' in r.stdout and "raise ValueError('boom')" in r.stdout, r.stdout
    assert nbf.read_text() == before

def test_clean_outputs_unit():
    sys.path.insert(0, str(ROOT/'tools'))
    from store_results import clean_outputs
    outs = [dict(output_type='stream', name='stdout', text=[' 40%|####      | 4/10 [00:01<00:01,  4.9it/s]\n']),
            dict(output_type='display_data', metadata={}, data={'application/vnd.jupyter.widget-view+json': {}, 'text/plain': ['HBox()']}),
            dict(output_type='display_data', metadata={}, data={'image/png': 'A' * 500_000}),
            dict(output_type='execute_result', execution_count=None, metadata={},
                 data={'text/plain': [f"PosixPath('{ROOT}/data/x.npz')"],
                       'text/html': ['<code>/root/.pyenv/lib/python3.11/site-packages/torch/nn/f.py</code>'],
                       'text/markdown': ['see /tmp/tmpab12/sd/unet/w.bin and /home/me/x.txt.']})]
    res = clean_outputs(outs, note=lambda s: None)
    assert len(res) == 1
    assert res[0]['data']['text/plain'] == ["PosixPath('data/x.npz')"]
    assert res[0]['data']['text/html'] == ['<code><site-packages>/torch/nn/f.py</code>']
    assert res[0]['data']['text/markdown'] == ['see <tmp>/sd/unet/w.bin and <local>/x.txt.']
    assert clean_outputs(res, note=lambda s: None) == res                 # idempotent
