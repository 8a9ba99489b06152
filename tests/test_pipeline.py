"""The smoke-profile `dvc repro` of the whole pipeline, in a scratch copy of the repository.

Runs what README command (a) runs, with `profile: smoke`, so CI proves `dvc.yaml` and every stage's
command line work from a clean tree without touching this checkout's params.yaml or outputs.
"""
import os, re, shutil, subprocess, sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'bench'))
from paper_miniature import scratch_copy, stage_outs  # noqa: E402   (what a clean clone holds, less stage outputs)

def stage_outputs() -> list:
    "Every `outs` path declared in dvc.yaml."
    return [o for outs in stage_outs(yaml.safe_load((ROOT/'dvc.yaml').read_text())['stages']).values() for o in outs]

@pytest.fixture(scope='module')
def smoke_repo(tmp_path_factory):
    if shutil.which('git') is None or not (ROOT/'.git').exists(): pytest.skip('needs a git checkout of facediv')
    repo = scratch_copy(tmp_path_factory.mktemp('clone'))
    params = repo/'params.yaml'
    params.write_text(re.sub(r'(?m)^profile: \w+', 'profile: smoke', params.read_text()))
    subprocess.run(['git', 'init', '-q'], cwd=repo, check=True)
    env = dict(os.environ)
    proc = subprocess.run([sys.executable, '-m', 'dvc', 'repro'], cwd=repo, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, f"dvc repro failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return repo, env

def test_every_declared_output_exists(smoke_repo):
    repo, _ = smoke_repo
    for out in stage_outputs(): assert (repo/out).exists(), f"stage output {out} missing after dvc repro"

def test_second_repro_is_up_to_date(smoke_repo):
    repo, env = smoke_repo
    proc = subprocess.run([sys.executable, '-m', 'dvc', 'status'], cwd=repo, env=env, capture_output=True, text=True)
    assert proc.returncode == 0 and 'up to date' in proc.stdout, proc.stdout + proc.stderr

@pytest.mark.parametrize('stage', ['portraits', 'reconstruct'])
def test_a_corrupt_shard_is_remade_by_the_next_repro(smoke_repo, stage):
    # A truncated shard (a full disk, a killed copy) does not stop the run: dvc sees the stage's output changed and
    # reruns that stage, which keeps its good shards and remakes the bad one; the stages after it see the same bytes.
    repo, env = smoke_repo
    shards = sorted((repo/'data'/stage).glob('shard_*.npz'))
    shard, others = shards[-1], {s: s.stat().st_mtime_ns for s in shards[:-1]}
    good = shard.read_bytes()
    shard.write_bytes(good[:len(good) // 3])
    proc = subprocess.run([sys.executable, '-m', 'dvc', 'repro'], cwd=repo, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, f"dvc repro after corrupting {shard.name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    assert shard.read_bytes() == good, f'{stage}/{shard.name} was not remade byte for byte'
    assert others and all(s.stat().st_mtime_ns == t for s, t in others.items()), 'the good shards should be kept, not remade'
    assert f"Running stage '{stage}'" in proc.stdout
    reran = set(re.findall(r"Running stage '(\w+)'", proc.stdout))
    assert reran == {stage}, f'only {stage} should rerun, not {sorted(reran - {stage})}: its other shards and every later input are unchanged'
