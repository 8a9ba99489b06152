"""GAN training on two CPU processes under `accelerate launch`, for a few steps of a tiny configuration.

Step 1 runs through `accelerate launch --multi_gpu --num_processes 2 -m facediv.train_step1` with `device: cpu`
(in accelerate 1.15, `--cpu --num_processes 2` starts a single process unless MPI is configured; the torchrun
launcher behind `--multi_gpu` starts two, which Accelerate joins into a gloo CPU group because the stage asks for
the CPU). Step 2 goes through the stage's own hand-off (`num_processes: 2` in the params makes
`python -m facediv.train_step2` re-run itself under `accelerate launch`). Both must finish, log every step once,
and record 2 processes. A third check runs the issue's literal `--cpu --num_processes 2` command and asserts that
the stage warns it is alone.
"""
import json, os, subprocess, sys
from pathlib import Path

import yaml

from facediv.testing import write_synthetic_set
from facediv.train_step1 import TINY_STEP1
from facediv.train_step2 import TINY_STEP2

def accelerate_cli() -> list:
    "The `accelerate` command of this environment (the console script beside python, else the module)."
    exe = Path(sys.executable).with_name('accelerate')
    return [str(exe)] if exe.exists() else [sys.executable, '-m', 'accelerate.commands.launch']

def run(cmd, cwd) -> subprocess.CompletedProcess:
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=150)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    return proc

def steps_logged(run_dir) -> list:
    return [json.loads(l)['step'] for l in (Path(run_dir)/'stats.jsonl').read_text().splitlines()]

def test_two_cpu_processes(tmp_path):
    write_synthetic_set(tmp_path/'normalized', n=16, res=16, shard_size=8)
    params = tmp_path/'params.yaml'
    params.write_text(yaml.safe_dump({'profile': 'smoke',
                                      'train_step1': {**TINY_STEP1, 'steps': 4, 'snapshot_every': 2, 'threads': 1},
                                      'train_step2': {**TINY_STEP2, 'steps': 4, 'num_processes': 2, 'threads': 1}}))
    s1 = ['--params', params, '--data_dir', tmp_path/'normalized', '--out_dir', tmp_path/'s1', '--plots_dir', tmp_path/'p1',
          '--metrics_path', tmp_path/'m1.json']
    cli = accelerate_cli()
    launch = cli + (['launch'] if len(cli) == 1 else [])
    run(launch + ['--multi_gpu', '--num_processes', '2', '--num_machines', '1', '--mixed_precision', 'no', '--dynamo_backend', 'no',
                  '-m', 'facediv.train_step1'] + [str(a) for a in s1], tmp_path)
    assert json.loads((tmp_path/'m1.json').read_text())['processes'] == 2
    assert steps_logged(tmp_path/'s1') == [1, 2, 3, 4]
    s2 = ['--params', params, '--data_dir', tmp_path/'normalized', '--step1_model', tmp_path/'s1'/'model.safetensors',
          '--out_dir', tmp_path/'s2', '--plots_dir', tmp_path/'p2', '--metrics_path', tmp_path/'m2.json']
    proc = run([sys.executable, '-m', 'facediv.train_step2'] + [str(a) for a in s2], tmp_path)
    assert 'accelerate.commands.launch --multi_gpu --num_processes 2' in proc.stderr    # the stage handed off to Accelerate
    assert json.loads((tmp_path/'m2.json').read_text())['processes'] == 2
    assert steps_logged(tmp_path/'s2') == [1, 2, 3, 4]
    assert (tmp_path/'s2'/'model.safetensors').exists()

def test_cpu_flag_warns_when_alone(tmp_path):
    write_synthetic_set(tmp_path/'normalized', n=8, res=16, shard_size=8)
    params = tmp_path/'params.yaml'
    params.write_text(yaml.safe_dump({'profile': 'smoke', 'train_step1': {**TINY_STEP1, 'steps': 1, 'threads': 1}}))
    cli = accelerate_cli()
    proc = run(cli + (['launch'] if len(cli) == 1 else []) + ['--num_processes', '2', '--cpu', '--num_machines', '1',
               '--mixed_precision', 'no', '--dynamo_backend', 'no', '-m', 'facediv.train_step1', '--params', str(params),
               '--data_dir', str(tmp_path/'normalized'), '--out_dir', str(tmp_path/'s1'), '--plots_dir', str(tmp_path/'p1'),
               '--metrics_path', str(tmp_path/'m1.json')], tmp_path)
    assert 'runs a single process without MPI' in proc.stderr
