"""tools/compare_runs.py tells outputs that differ only in timings from outputs that differ in what was computed."""
import json, subprocess, sys
from pathlib import Path

import numpy as np
import yaml
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'tools'))
from compare_runs import compare_runs, is_timing  # noqa: E402

def write_run(d:Path, seconds:float, weight:float) -> Path:
    (d/'models').mkdir(parents=True)
    (d/'dvc.yaml').write_text(yaml.safe_dump({'stages': {'train': {'cmd': 'x', 'outs': ['models'], 'metrics': [{'m.json': {'cache': False}}]}}}))
    (d/'m.json').write_text(json.dumps({'psnr': 23.4, 'train_time_s': seconds, 'per_group': [{'n': 3, 'sec_per_step': seconds}]}))
    np.savez(d/'models'/'w.npz', w=np.float32([weight, 1.0]))
    Image.fromarray(np.full((4, 4, 3), 128, np.uint8)).save(d/'models'/'plot.png', pnginfo=None)
    (d/'models'/'log.jsonl').write_text('\n'.join(json.dumps({'step': s, 'loss': 0.5, 'time_s': seconds * s}) for s in (1, 2)))
    return d

def test_timing_fields():
    assert all(map(is_timing, ['train_time_s', 'sec_per_step', 'peak_ram_mb', 'stage_seconds', 'resumed_from', 'time_s']))
    assert not any(map(is_timing, ['params', 'psnr', 'steps', 'program', 'stime', 'n_params']))

def test_same_up_to_timings_and_real_differences(tmp_path):
    a, b, c = write_run(tmp_path/'a', 10.0, 0.5), write_run(tmp_path/'b', 12.5, 0.5), write_run(tmp_path/'c', 10.0, 0.25)
    assert set(compare_runs(a, b)['train'].values()) == {'same', 'same but timings'}
    verdicts = compare_runs(a, c)['train']
    assert verdicts['models/w.npz'] == 'differs: arrays' and verdicts['m.json'] == 'same'
    r = subprocess.run([sys.executable, str(ROOT/'tools'/'compare_runs.py'), str(a), str(c)], capture_output=True, text=True)
    assert r.returncode == 1 and 'models/w.npz: differs: arrays' in r.stdout
    assert subprocess.run([sys.executable, str(ROOT/'tools'/'compare_runs.py'), str(a), str(b)]).returncode == 0

def test_provenance_stamps_alone(tmp_path):
    "Arrays equal but for `config_hash` (stamped from an input file whose bytes hold timings): the same computation."
    a, b = write_run(tmp_path/'a', 10.0, 0.5), write_run(tmp_path/'b', 10.0, 0.5)
    np.savez(a/'models'/'w.npz', w=np.float32([0.5, 1.0]), config_hash=np.array('aaaa'))
    np.savez(b/'models'/'w.npz', w=np.float32([0.5, 1.0]), config_hash=np.array('bbbb'))
    assert compare_runs(a, b)['train']['models/w.npz'] == 'same but provenance'
    np.savez(b/'models'/'w.npz', w=np.float32([0.5, 2.0]), config_hash=np.array('bbbb'))
    assert compare_runs(a, b)['train']['models/w.npz'] == 'differs: arrays'
