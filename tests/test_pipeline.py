"""The smoke-profile `dvc repro` of the whole pipeline, in a scratch copy of the repository.

Runs what README command (a) runs, with `profile: smoke`, so CI proves `dvc.yaml` and every stage's
command line work from a clean tree without touching this checkout's params.yaml or outputs.
"""
import os, re, shutil, subprocess, sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

def tracked_files() -> list:
    "Files git tracks plus untracked-but-not-ignored ones (what a clean clone of this tree would hold)."
    out = subprocess.run(['git', 'ls-files', '--cached', '--others', '--exclude-standard', '-z'], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    return [p for p in out.split('\0') if p and (ROOT/p).is_file()]

def stage_outputs() -> list:
    "Every `outs` path declared in dvc.yaml."
    stages = yaml.safe_load((ROOT/'dvc.yaml').read_text())['stages']
    return [next(iter(o)) if isinstance(o, dict) else o for s in stages.values() for o in s.get('outs', [])]

@pytest.fixture(scope='module')
def smoke_repo(tmp_path_factory):
    if shutil.which('git') is None or not (ROOT/'.git').exists(): pytest.skip('needs a git checkout of facediv')
    repo = tmp_path_factory.mktemp('clone')
    for rel in tracked_files():
        if rel in stage_outputs() or any(rel.startswith(o.rstrip('/') + '/') for o in stage_outputs()): continue
        (repo/rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT/rel, repo/rel)
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
