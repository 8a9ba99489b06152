"""`tools/check_results.py` on tiny notebooks: a stale Results output, a hand-typed result number, and a clean chapter."""
import json, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT/'tools'/'check_results.py'

def chapter(tmp_path, intro:str, results_md:str, code:str, stored:str) -> Path:
    "A notebook: an intro section, a Results section (markdown + one code cell reading metrics.json with `stored` output)."
    (tmp_path/'metrics.json').write_text(json.dumps({'psnr': 24.5}))
    md = lambda i, s: dict(cell_type='markdown', id=f'{i:08x}', metadata={}, source=s.splitlines(True))
    cells = [md(0, '# demo\n\n' + intro), md(1, '## Results\n\n' + results_md),
             dict(cell_type='code', execution_count=None, id='00000002', metadata={}, source=code.splitlines(True),
                  outputs=[dict(output_type='stream', name='stdout', text=[stored])]),
             md(3, '## Afterwards\n\nA note with 3.5 dB outside the Results section is not checked.')]
    path = tmp_path/'demo.ipynb'
    path.write_text(json.dumps(dict(cells=cells, metadata={}, nbformat=4, nbformat_minor=5), indent=1))
    return path

CODE = "import json\nm = json.load(open('metrics.json'))\nprint(f\"PSNR {m['psnr']:.1f} dB\")"

def run(path): return subprocess.run([sys.executable, str(TOOL), str(path)], capture_output=True, text=True, timeout=300)

def test_current_chapter_passes(tmp_path):
    r = run(chapter(tmp_path, 'Earlier runs scored 20.1 dB.', 'The stage\'s numbers, from `metrics.json` (block `psnr`):', CODE, 'PSNR 24.5 dB\n'))
    assert r.returncode == 0 and r.stdout.startswith('OK'), r.stdout

def test_stale_output_fails(tmp_path):
    r = run(chapter(tmp_path, '', 'From metrics:', CODE, 'PSNR 23.9 dB\n'))     # the metric moved, the stored output did not
    assert r.returncode == 1 and 'cell 2: stored output is stale' in r.stdout and 'PSNR 24.5 dB' in r.stdout, r.stdout

def test_hand_typed_number_fails(tmp_path):
    r = run(chapter(tmp_path, '', 'The normaliser reaches 24.5 dB, 91 % of the time.', CODE, 'PSNR 24.5 dB\n'))
    assert r.returncode == 1 and "hand-typed result '24.5 dB'" in r.stdout and "'91 %'" in r.stdout, r.stdout

def test_raising_cell_fails(tmp_path):
    r = run(chapter(tmp_path, '', 'From metrics:', "print(json.load(open('missing.json')))", 'x\n'))
    assert r.returncode == 1 and 'the cell raised' in r.stdout, r.stdout
