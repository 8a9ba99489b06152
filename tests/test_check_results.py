"""`tools/check_results.py` on tiny notebooks: a stale Results output, a hand-typed result number, prose numbers with and
without a source (a named metrics file, a record of past runs), and a clean chapter."""
import json, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT/'tools'/'check_results.py'

def chapter(tmp_path, intro:str, results_md:str, code:str, stored:str, after:str='Nothing more.') -> Path:
    "A notebook: an intro section, a Results section (markdown + one code cell reading metrics.json with `stored` output)."
    (tmp_path/'metrics.json').write_text(json.dumps({'psnr': 24.5}))
    md = lambda i, s: dict(cell_type='markdown', id=f'{i:08x}', metadata={}, source=s.splitlines(True))
    cells = [md(0, '# demo\n\n' + intro), md(1, '## Results\n\n' + results_md),
             dict(cell_type='code', execution_count=None, id='00000002', metadata={}, source=code.splitlines(True),
                  outputs=[dict(output_type='stream', name='stdout', text=[stored])]),
             md(3, '## Afterwards\n\n' + after)]
    path = tmp_path/'demo.ipynb'
    path.write_text(json.dumps(dict(cells=cells, metadata={}, nbformat=4, nbformat_minor=5), indent=1))
    return path

CODE = "import json\nm = json.load(open('metrics.json'))\nprint(f\"PSNR {m['psnr']:.1f} dB\")"

def run(path): return subprocess.run([sys.executable, str(TOOL), str(path)], capture_output=True, text=True, timeout=300)

def test_current_chapter_passes(tmp_path):
    r = run(chapter(tmp_path, 'It scores 24.5 dB.\n<!-- numbers from: metrics.json -->', 'The stage\'s numbers, from `metrics.json` (block `psnr`):',
                    CODE, 'PSNR 24.5 dB\n', after='mkdocs 1.6.1 and arXiv 2504.15259 are names, not results.'))
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

def test_prose_number_without_source_fails(tmp_path):
    r = run(chapter(tmp_path, 'The normaliser reaches 23.9 dB.', 'From metrics:', CODE, 'PSNR 24.5 dB\n'))
    assert r.returncode == 1 and "cell 0: '23.9 dB' has no source" in r.stdout, r.stdout

def test_prose_number_whose_source_moved_on_fails(tmp_path):
    r = run(chapter(tmp_path, 'The normaliser reaches 23.9 dB.\n<!-- numbers from: metrics.json -->', 'From metrics:', CODE, 'PSNR 24.5 dB\n'))
    assert r.returncode == 1 and "'23.9 dB' has no source" in r.stdout, r.stdout     # metrics.json says 24.5 now

def test_missing_source_file_fails(tmp_path):
    r = run(chapter(tmp_path, 'It scores 24.5 dB.\n<!-- numbers from: metrics/nowhere.json -->', 'From metrics:', CODE, 'PSNR 24.5 dB\n'))
    assert r.returncode == 1 and 'names metrics/nowhere.json' in r.stdout, r.stdout

def test_record_of_past_runs(tmp_path):
    import subprocess as sp
    head = sp.run(['git', '-C', str(ROOT), 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True).stdout.strip()
    ok = run(chapter(tmp_path, '', 'From metrics:', CODE, 'PSNR 24.5 dB\n', after=f'*Recorded at commit {head} (a day): not re-run.*\n\nIt took 17.3 s.'))
    assert ok.returncode == 0, ok.stdout                                              # a section of history, labelled as such
    bad = run(chapter(tmp_path, '', 'From metrics:', CODE, 'PSNR 24.5 dB\n', after='*Recorded at commit 0123abcd (a day)*: it took 17.3 s.'))
    assert bad.returncode == 1 and 'names commit 0123abcd' in bad.stdout, bad.stdout

def test_docs_page(tmp_path):
    (tmp_path/'metrics.json').write_text(json.dumps({'peak_rss_mb': 1558}))
    page = tmp_path/'card.md'
    page.write_text('# Card\n\nPeak memory 1.6 / 1.4 GB.\n\n## Sources\n\n<!-- numbers from: metrics.json -->\nPeak 1.6 GB.\n')
    r = run(page)
    assert r.returncode == 1 and "section 0: '1.6' has no source" in r.stdout and 'section 1' not in r.stdout, r.stdout
