"""Training stages resume exactly: killed with SIGKILL at random points, twice, then rerun, each training stage ends
with the weights and metrics of an uninterrupted run of the same params.

`train_normalizer`, `train_step1` and `train_step2` continue from their last checkpoint (every random draw comes from
(seed, step), and the optimisers' state is saved with the weights); `classify`, `translate` and `sr` are short and
start over, so what is tested there is that a killed run leaves nothing that changes the rerun. Weights are compared
to 1e-6 rather than bit for bit: the test pins one thread, under which torch's CPU kernels have been bitwise
repeatable, but torch does not promise it. Timings and peak memory are the only metrics left out.
"""
import os, random, re, signal, subprocess, sys, time
from pathlib import Path

import numpy as np
import pytest
import yaml
from safetensors.numpy import load_file

from facediv.testing import synthetic_pipeline, write_synthetic_set
from facediv.train_step1 import TINY_STEP1
from facediv.train_step2 import TINY_STEP2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'tools'))
from compare_runs import compare_file  # noqa: E402   (JSON without timing fields)
ENV = {**os.environ, 'OMP_NUM_THREADS': '1', 'PYTHONWARNINGS': 'ignore'}
CHECKPOINTS = {'train_normalizer': '*_state.safetensors', 'train_step1': 'checkpoint.safetensors', 'train_step2': 'checkpoint.safetensors'}
STEPS = {'train_normalizer': 12, 'train_step1': 16, 'train_step2': 16}     # steps of each run below: a resume must start before the end

def params(d:Path) -> dict:
    p = yaml.safe_load((ROOT/'params.yaml').read_text())
    p['profile'] = 'smoke'
    p['portraits']['profiles']['smoke'].update(n_faces=2, n_scans=8, shard_size=8, image_size=64, uv_res=32)
    p['train_normalizer']['profiles']['smoke'].update(train={'steps': STEPS['train_normalizer'], 'batch': 4, 'checkpoint_every': 3})
    p['train_step1'] = {**TINY_STEP1, 'steps': STEPS['train_step1'], 'snapshot_every': 2, 'log_every': 1, 'threads': 1}
    p['train_step2'] = {**TINY_STEP2, 'steps': STEPS['train_step2'], 'snapshot_every': 2, 'log_every': 1, 'threads': 1}
    for stage in ('classify', 'translate', 'sr'): p[stage]['profiles']['smoke']['train']['steps'] = 12
    return p

def command(stage:str, d:Path, out:Path) -> list:
    "The stage's command line, writing everything under `out`."
    common = ['--params', d/'params.yaml', '--metrics_path', out/'metrics.json', '--plots_dir', out/'plots']
    args = {'train_normalizer': ['--dataset_dir', d/'pipeline'/'dataset', '--scans_dir', d/'pipeline'/'scans', '--photographed_dir', d/'pipeline'/'scan_complete',
                                 '--model_dir', out/'model'],
            'train_step1': ['--data_dir', d/'normalized', '--out_dir', out/'model'],
            'train_step2': ['--data_dir', d/'normalized', '--step1_model', d/'step1'/'model'/'model.safetensors', '--out_dir', out/'model'],
            'classify': ['--data_dir', d/'normalized', '--model_dir', out/'model'],
            'translate': ['--scans_dir', d/'scans', '--model_dir', out/'model'],
            'sr': ['--scans_dir', d/'scans', '--model_dir', out/'model']}[stage]
    return [sys.executable, '-m', f'facediv.{stage}', *map(str, common + args)]

def run(stage:str, d:Path, out:Path):
    r = subprocess.run(command(stage, d, out), capture_output=True, text=True, env=ENV, cwd=d, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return r

def mtime(path:Path) -> float:
    "`path`'s modification time; 0 when an atomic write renamed it away between the listing and the stat."
    try: return path.stat().st_mtime
    except FileNotFoundError: return 0.0

def newest_write(folder:Path) -> float:
    newest = 0.0
    for root, _, files in os.walk(folder):                  # os.walk skips a folder that vanishes while it walks
        for f in files: newest = max(newest, mtime(Path(root)/f))
    return newest

def new_checkpoint(stage:str, out:Path, since:float) -> bool:
    "Whether the stage wrote a checkpoint after `since` (stages that start over have none: any write counts)."
    if stage not in CHECKPOINTS: return newest_write(out) > since
    return any(mtime(p) > since for p in (out/'model').glob(CHECKPOINTS[stage])) if (out/'model').is_dir() else False

def kill_at_random(stage:str, d:Path, out:Path, seed:int) -> int:
    """Start the stage and SIGKILL it at a random moment soon after its next checkpoint (stages that start over: after
    their next write), so that the rerun has a mid-run state to resume from: 1 if killed mid-run."""
    started = time.time()
    p = subprocess.Popen(command(stage, d, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV, cwd=d)
    while p.poll() is None and not new_checkpoint(stage, out, started) and time.time() - started < 300: time.sleep(0.005)
    time.sleep(random.Random(seed).uniform(0.0, 0.05 if stage in CHECKPOINTS else 0.5))
    if p.poll() is None: os.kill(p.pid, signal.SIGKILL)
    p.wait()
    return int(p.returncode == -signal.SIGKILL)

def assert_same_run(full:Path, resumed:Path):
    "Every weight file within 1e-6, every JSON equal but for timings and the run folder's name."
    weights = sorted(p.relative_to(full) for p in full.rglob('*.safetensors'))
    assert weights and weights == sorted(p.relative_to(resumed) for p in resumed.rglob('*.safetensors'))
    for rel in weights:
        a, b = load_file(full/rel), load_file(resumed/rel)
        assert sorted(a) == sorted(b), rel
        for k in a:
            diff = np.abs(a[k].astype(np.float64) - b[k].astype(np.float64)).max(initial=0.0)
            assert diff <= 1e-6, f"{rel}:{k} differs by {diff:.2e} from the uninterrupted run"
    for rel in sorted(p.relative_to(full) for p in full.rglob('*.json')):   # paths naming the run folder are allowed to differ
        assert compare_file(full/rel, resumed/rel, full, resumed) in ('same', 'same but timings'), rel

@pytest.fixture(scope='module')
def work(tmp_path_factory):
    d = tmp_path_factory.mktemp('resume_training')
    (d/'params.yaml').write_text(yaml.safe_dump(params(d)))
    synthetic_pipeline(d/'pipeline', res=32, n_scans=8, n_faces=6)
    write_synthetic_set(d/'normalized', n=16, res=16, shard_size=16)
    r = subprocess.run([sys.executable, '-m', 'facediv.portraits', '--params', str(d/'params.yaml'), '--portraits_dir',
                        str(d/'portraits'), '--scans_dir', str(d/'scans')], capture_output=True, text=True, env=ENV, cwd=d)
    assert r.returncode == 0, r.stderr[-3000:]
    run('train_step1', d, d/'step1')
    return d

@pytest.mark.parametrize('stage', ['train_normalizer', 'train_step1', 'train_step2', 'classify', 'translate', 'sr'])
def test_killed_training_resumes_to_the_same_weights(work, stage):
    full = work/f'full_{stage}'
    run(stage, work, full)
    killed = work/f'killed_{stage}'
    kills = sum(kill_at_random(stage, work, killed, seed) for seed in range(2))
    assert kills >= 1, f"{stage} finished before it could be killed"
    checkpointed = any((killed/'model').glob(CHECKPOINTS.get(stage, '-')))
    rerun = run(stage, work, killed)
    if checkpointed:
        resumed_at = [int(n) for n in re.findall(r'resuming from .* at step (\d+)', rerun.stderr)]
        assert resumed_at, f"{stage} started over instead of resuming:\n{rerun.stderr[-2000:]}"
        assert min(resumed_at) < STEPS[stage], f"{stage} was killed only after its last checkpoint (step {resumed_at}): nothing was resumed"
    assert_same_run(full, killed)

def normalize_command(d:Path, out:Path, workers:int) -> list:
    return [sys.executable, '-m', 'facediv.normalize', '--params', str(d/'params.yaml'), '--dataset_dir', str(d/'pipeline'/'dataset'),
            '--portraits_dir', str(d/'pipeline'/'portraits'), '--model_dir', str(d/'full_train_normalizer'/'model'),
            '--out_dir', str(out), '--metrics_path', str(out.parent/f'{out.name}.json'), '--workers', str(workers)]

def test_normalize_resumes_and_runs_in_workers_to_the_same_bytes(work):
    "`normalize` (sharded, beside the normaliser it needs): killed after its first shard and rerun, or run with 2 workers, it writes what one uninterrupted process writes."
    if not (work/'full_train_normalizer'/'model'/'normalizer.safetensors').exists(): run('train_normalizer', work, work/'full_train_normalizer')
    runs = {}
    for name, workers in (('one', 1), ('two', 2), ('killed', 1)):
        out = work/f'normalize_{name}'
        if name == 'killed':
            p = subprocess.Popen(normalize_command(work, out, 1), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV, cwd=work)
            while p.poll() is None and not list(out.glob('shard_*.npz')): time.sleep(0.005)
            if p.poll() is None: os.kill(p.pid, signal.SIGKILL)
            p.wait()
        r = subprocess.run(normalize_command(work, out, workers), capture_output=True, text=True, env=ENV, cwd=work, timeout=600)
        assert r.returncode == 0, r.stderr[-3000:]
        runs[name] = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    assert len(runs['one']) == 3 and runs['two'] == runs['one'] and runs['killed'] == runs['one']   # 2 shards + manifest
    # Scoring end to end also runs shard by shard in the workers: the same scores as in one process.
    import json
    scores = {n: json.loads((work/f'normalize_{n}.json').read_text()) for n in ('one', 'two')}
    for m in scores.values(): m.pop('stage_time_s')
    assert scores['one']['computed'] and scores['one']['n_scored'] > 0 and scores['two'] == scores['one']

def test_train_normalizer_in_two_processes_gives_the_same_weights(work):
    "`--workers 2` trains the normaliser and the U-Net side by side: the weights and metrics of training them one after the other."
    if not (work/'full_train_normalizer'/'model'/'normalizer.safetensors').exists(): run('train_normalizer', work, work/'full_train_normalizer')
    out = work/'train_normalizer_workers'
    r = subprocess.run(command('train_normalizer', work, out) + ['--workers', '2'], capture_output=True, text=True, env=ENV, cwd=work, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert_same_run(work/'full_train_normalizer', out)
