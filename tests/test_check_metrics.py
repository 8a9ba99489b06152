"""`tools/check_metrics.py`: tolerances derived from seeded runs tell a reproduction from a regression.

Synthetic metric folders: three seeds of two noisy metrics and one constant; a fourth draw passes, a headline
metric moved far outside its seed spread fails, and bad input exits 2 naming the problem and the fix.
"""
import json, sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'tools'))
import check_metrics  # noqa: E402

def write_run(folder:Path, psnr:float, accuracy:float, seconds:float=1.0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder/'evaluate.json').write_text(json.dumps({'psnr': psnr, 'stage_seconds': seconds, 'seed': 7,
                                                    'by': [{'accuracy': accuracy}], 'n_faces': 560, 'computed': True}))
    return folder

@pytest.fixture
def seeded(tmp_path):
    "Seeds 0-2 (0 the committed run) drawn around psnr 23 ± 0.1 and accuracy 0.7 ± 0.02; their tolerances."
    g = np.random.default_rng(0)
    runs = {s: write_run(tmp_path/f'seed{s}', 23 + 0.1 * g.normal(), 0.7 + 0.02 * g.normal(), seconds=s + 1) for s in range(3)}
    tol = check_metrics.derive({s: check_metrics.metric_values(f) for s, f in runs.items()})
    tol['headline'] = {'PSNR': 'evaluate.json:psnr'}
    path = tmp_path/'tolerances.json'; path.write_text(json.dumps(tol))
    return tmp_path, runs, path

def test_metrics_leave_out_timings_seeds_and_flags(tmp_path):
    values = check_metrics.metric_values(write_run(tmp_path/'run', 23.0, 0.7))
    assert values == {'evaluate.json:psnr': 23.0, 'evaluate.json:by[0].accuracy': 0.7, 'evaluate.json:n_faces': 560.0}

def test_derived_bound_is_the_t_prediction_bound(seeded):
    _, runs, path = seeded
    tol = json.loads(path.read_text())
    xs = tol['metrics']['evaluate.json:psnr']['values']
    assert tol['seeds'] == [0, 1, 2] and len(xs) == 3
    assert tol['metrics']['evaluate.json:psnr']['tolerance'] == pytest.approx(9.925 * np.std(xs, ddof=1) * np.sqrt(2), rel=1e-3)
    assert tol['metrics']['evaluate.json:n_faces']['sd'] == 0

def test_another_draw_is_a_reproduction_and_a_shift_is_not(seeded, capsys):
    tmp, runs, path = seeded
    g = np.random.default_rng(1)
    again = write_run(tmp/'again', 23 + 0.1 * g.normal(), 0.7 + 0.02 * g.normal(), seconds=99)   # timings may differ
    assert check_metrics.main([str(again), '--committed', str(runs[0]), '--tolerances', str(path),
                               '--record', str(tmp/'check.json'), '--label', 'seed 3']) == 0
    record = json.loads((tmp/'check.json').read_text())
    assert (record['run'], record['reproduction'], record['checked'], record['outside']) == ('seed 3', True, 3, 0)
    assert record['headline']['PSNR']['within']
    sd = json.loads(path.read_text())['metrics']['evaluate.json:psnr']['sd']
    worse = write_run(tmp/'worse', check_metrics.metric_values(runs[0])['evaluate.json:psnr'] - 20 * sd, 0.7)
    assert check_metrics.main([str(worse), '--committed', str(runs[0]), '--tolerances', str(path)]) == 1
    assert 'OUTSIDE  PSNR' in capsys.readouterr().out
    changed = write_run(tmp/'changed', 23.0, 0.7); (changed/'evaluate.json').write_text(
        (changed/'evaluate.json').read_text().replace('560', '561'))                                # a constant must stay equal
    report = check_metrics.check(check_metrics.metric_values(changed), check_metrics.metric_values(runs[0]), json.loads(path.read_text()))
    assert 'evaluate.json:n_faces' in report['outside']

def test_bad_input_names_the_problem_and_the_fix(seeded, tmp_path, capsys):
    tmp, runs, path = seeded
    broken = tmp_path/'broken'; broken.mkdir(); (broken/'evaluate.json').write_text('{"psnr": 23.')
    assert check_metrics.main([str(broken), '--committed', str(runs[0]), '--tolerances', str(path)]) == 2
    assert 'not readable JSON' in capsys.readouterr().err
    assert check_metrics.main([str(tmp_path/'nowhere'), '--tolerances', str(path)]) == 2
    assert check_metrics.main([str(runs[1]), '--tolerances', str(tmp_path/'none.json')]) == 2
    assert 'bench/seed_runs.py' in capsys.readouterr().err
    with pytest.raises(check_metrics.BadInput, match='≥ 3 seeds'):
        check_metrics.derive({s: check_metrics.metric_values(runs[s]) for s in (0, 1)})
    missing = write_run(tmp_path/'missing', 23.0, 0.7); (missing/'evaluate.json').write_text(json.dumps({'n_faces': 560}))
    assert check_metrics.main([str(missing), '--committed', str(runs[0]), '--tolerances', str(path)]) == 1   # the headline is gone
    report = check_metrics.check({'evaluate.json:psnr': 23.0, 'evaluate.json:n_faces': 560.0},
                                 check_metrics.metric_values(runs[0]), json.loads(path.read_text()))
    assert report['missing'] == ['evaluate.json:by[0].accuracy'] and report['share_outside'] == pytest.approx(1 / 3)

def test_retired_metrics_are_skipped_with_the_reason(seeded, capsys):
    tmp, runs, path = seeded
    assert check_metrics.main(['--retire', r'by\[0\]', '--tolerances', str(path)]) == 2          # needs --why
    assert check_metrics.main(['--retire', r'by\[0\]', '--why', 'now per group', '--tolerances', str(path)]) == 0
    tol = json.loads(path.read_text())
    assert 'evaluate.json:by[0].accuracy' not in tol['metrics'] and tol['retired'] == [{'pattern': r'by\[0\]', 'why': 'now per group', 'n': 1}]
    moved = write_run(tmp/'moved', check_metrics.metric_values(runs[0])['evaluate.json:psnr'], 0.1)   # the retired metric moved far
    capsys.readouterr()
    assert check_metrics.main([str(moved), '--committed', str(runs[0]), '--tolerances', str(path)]) == 0
    assert "not checked: 1 metrics matching 'by\\\\[0\\\\]': now per group" in capsys.readouterr().out
    assert check_metrics.main(['--retire', 'psnr', '--why', 'x', '--tolerances', str(path)]) == 2           # a headline: measure it again
    assert check_metrics.main(['--retire', 'nothing_like_this', '--why', 'x', '--tolerances', str(path)]) == 2
