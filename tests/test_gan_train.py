"""Training survives `kill -9`: a step-1 run killed mid-training resumes from its last checkpoint and continues the step count."""
import json, os, signal, subprocess, sys, time

import yaml

from facediv.testing import write_synthetic_set
from facediv.train_step1 import TINY_STEP1

def test_resume_after_kill_9(tmp_path):
    write_synthetic_set(tmp_path/'normalized', n=16, res=16, shard_size=16)
    params = tmp_path/'params.yaml'
    block = {**TINY_STEP1, 'steps': 10_000, 'snapshot_every': 2, 'log_every': 1, 'threads': 1}
    params.write_text(yaml.safe_dump({'profile': 'smoke', 'train_step1': block}))
    cmd = [sys.executable, '-m', 'facediv.train_step1', '--params', str(params), '--data_dir', str(tmp_path/'normalized'),
           '--out_dir', str(tmp_path/'s1'), '--plots_dir', str(tmp_path/'p1'), '--metrics_path', str(tmp_path/'m1.json')]
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ckpt = tmp_path/'s1'/'checkpoint.json'
    deadline = time.time() + 90
    while time.time() < deadline:
        if ckpt.exists() and json.loads(ckpt.read_text())['step'] >= 4: break
        assert proc.poll() is None, proc.stderr.read().decode()[-3000:]
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)                                              # no clean-up, no last checkpoint
    proc.wait()
    killed_at = json.loads(ckpt.read_text())['step']
    assert killed_at >= 4 and killed_at % 2 == 0
    block['steps'] = killed_at + 3                                                  # continue 3 more steps
    params.write_text(yaml.safe_dump({'profile': 'smoke', 'train_step1': block}))
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f'at step {killed_at}' in done.stderr                                   # resumed, not restarted
    assert json.loads(ckpt.read_text())['step'] == killed_at + 3
    steps = [json.loads(l)['step'] for l in (tmp_path/'s1'/'stats.jsonl').read_text().splitlines()]
    assert steps == list(range(1, killed_at + 4))                                  # no gap, no duplicate
    assert (tmp_path/'s1'/'model.safetensors').exists() and (tmp_path/'m1.json').exists()
