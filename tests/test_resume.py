"""Resume is exact: a sharded stage killed with SIGKILL and rerun writes the same bytes as an uninterrupted run;
so does a stage run with several worker processes.

Covers `portraits` (procedural portraits and scans), `reconstruct` (MediaPipe landmarks, fit, UV projection),
`complete` and `filter` (`normalize` is in test_resume_training.py, beside the normaliser it needs), each killed at two points: after its first shard and after its second. Every shard and the manifest are compared
byte for byte with an uninterrupted run of the same params (npz entries carry no timestamps, and each face's
randomness comes from (seed, face index), not from the order of work). Sizes are tiny: 8 faces, 2 per shard.
"""
import os, signal, subprocess, sys, time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, 'OMP_NUM_THREADS': '1', 'PYTHONWARNINGS': 'ignore'}

def write_params(folder:Path) -> Path:
    "params.yaml with the default blocks and tiny portraits/reconstruct sizes (smoke profile otherwise)."
    p = yaml.safe_load((ROOT/'params.yaml').read_text())
    p['profile'] = 'smoke'
    p['portraits']['profiles']['smoke'].update(n_faces=8, n_scans=2, shard_size=2, image_size=128, uv_res=32)
    p['reconstruct']['profiles']['smoke'].update(uv_res=32)
    p['filter']['shard_size'] = 2
    (folder/'params.yaml').write_text(yaml.safe_dump(p))
    return folder/'params.yaml'

STAGES = {
    'portraits': lambda d, out: ['facediv.portraits', '--params', d/'params.yaml', '--portraits_dir', out, '--scans_dir', d/'scans'],
    'reconstruct': lambda d, out: ['facediv.reconstruct', '--params', d/'params.yaml', '--portraits_dir', d/'full_portraits',
                                   '--out_dir', out, '--metrics_path', out.parent/f'{out.name}.json'],
    'complete': lambda d, out: ['facediv.complete', '--params', d/'params.yaml', '--recon_dir', d/'full_reconstruct',
                                '--scans_dir', d/'scans', '--out_dir', out],
    'filter': lambda d, out: ['facediv.filter', '--params', d/'params.yaml', '--completed_dir', d/'full_complete', '--out_dir', out,
                              '--metrics_path', out.parent/f'{out.name}.json', '--plot_path', out.parent/f'{out.name}.png'],
}

def run(stage:str, d:Path, out:Path):
    r = subprocess.run([sys.executable, '-m', *map(str, STAGES[stage](d, out))], capture_output=True, text=True, env=ENV, cwd=d, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]

def run_killed(stage:str, d:Path, out:Path, after_shards:int, tries:int=3):
    "Start the stage, SIGKILL it as soon as `after_shards` shards exist (retrying if it finished first), then rerun it to the end."
    import shutil
    for _ in range(tries):
        shutil.rmtree(out, ignore_errors=True)
        p = subprocess.Popen([sys.executable, '-m', *map(str, STAGES[stage](d, out))], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env=ENV, cwd=d)
        t = time.time()
        while len(list(out.glob('shard_*.npz'))) < after_shards and p.poll() is None and time.time() - t < 600: time.sleep(0.002)
        if p.poll() is None: os.kill(p.pid, signal.SIGKILL)
        p.wait()
        if p.returncode == -signal.SIGKILL and not (out/'manifest.json').exists(): break   # killed mid-run
    else: raise AssertionError(f"{stage} kept finishing before it could be killed after {after_shards} shard(s)")
    run(stage, d, out)

def same_bytes(a:Path, b:Path):
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir() if not p.name.startswith('.'))
    for n in names: assert (a/n).read_bytes() == (b/n).read_bytes(), n

@pytest.fixture(scope='module')
def work(tmp_path_factory):
    d = tmp_path_factory.mktemp('resume')
    write_params(d)
    run('portraits', d, d/'full_portraits')
    return d

@pytest.mark.parametrize('stage', list(STAGES))   # in pipeline order: each uses the previous one's full run
@pytest.mark.parametrize('after', [1, 2])
def test_killed_stage_resumes_to_the_same_bytes(work, stage, after):
    full = work/f'full_{stage}'
    if not full.exists(): run(stage, work, full)
    killed = work/f'killed_{stage}_{after}'
    run_killed(stage, work, killed, after)
    same_bytes(full, killed)

@pytest.mark.parametrize('stage', ['portraits', 'reconstruct', 'complete', 'filter'])
def test_workers_give_the_same_bytes(work, stage):
    "`--workers 2` (spawned processes, one shard each at a time) writes what one process writes."
    full = work/f'full_{stage}'
    if not full.exists(): run(stage, work, full)
    par = work/f'workers_{stage}'
    r = subprocess.run([sys.executable, '-m', *map(str, STAGES[stage](work, par)), '--workers', '2'],
                       capture_output=True, text=True, env=ENV, cwd=work, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    same_bytes(full, par)
