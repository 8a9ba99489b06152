"""The GAN training form at the paper profile's shapes: one G2 forward + backward pass at 1024², batch 2, StyleGAN2's
channel counts (channel_base 32768, channel_max 512, w 512, noise on), on the CPU, in two fresh processes.

Old: the fused grouped convolution on NCHW weights (how the layers trained before). New: the training form of
`gan.modulated_conv2d` (`fused=False`) with channels-last weights, as `train_step2` now trains on the CPU.
At the default profile's 64² the new way is 1.16-1.18× faster (`bench/train_speed.py`); this records what it costs
at 1K, where the activations, not the per-sample kernels, dominate memory. Peak RSS is the process's.

    python bench/paper_training_form.py [--out bench/results/paper_training_form.json]
"""
import argparse, datetime, json, os, platform, subprocess, sys
from pathlib import Path

from train_speed import OLD_FORM   # the old way, as bench/train_speed.py patches it

ROOT = Path(__file__).resolve().parents[1]
CHILD = """
import sys, time, resource, json, torch, facediv.gan as gan
way = sys.argv[1]; torch.manual_seed(0)
G = gan.Generator(z_dim=64, c_dim=25, w_dim=512, img_resolution=1024, img_channels=12, mapping_kwargs={'num_layers': 8},
                  synthesis_kwargs=dict(channel_base=32768, channel_max=512, architecture='skip', use_noise=True))
if way == 'new': G.to(memory_format=torch.channels_last)
z, c = torch.randn(2, 64), torch.zeros(2, 25); c[:, 0] = 1
t = time.perf_counter(); img = G(z, c); img.square().mean().backward(); dt = time.perf_counter() - t
print(json.dumps({'seconds': round(dt, 1), 'peak_rss_mb': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))
"""

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--out', default=str(ROOT/'bench/results/paper_training_form.json'))
    args = ap.parse_args()
    ways = {}
    for way in ('old', 'new'):
        r = subprocess.run([sys.executable, '-c', (OLD_FORM if way == 'old' else '') + CHILD, way], cwd=ROOT, capture_output=True, text=True)
        if r.returncode: raise SystemExit(f"{way} failed:\n{r.stderr[-3000:]}")
        ways[way] = json.loads(r.stdout.strip().splitlines()[-1]); print(way, ways[way], flush=True)
    result = {'what': __doc__.split('\n\n')[0].replace('\n', ' '), 'date': datetime.date.today().isoformat(),
              'machine': f'{os.cpu_count()}-core {platform.machine()}', 'ways': ways,
              'time_ratio': round(ways['new']['seconds'] / ways['old']['seconds'], 2),
              'memory_ratio': round(ways['new']['peak_rss_mb'] / ways['old']['peak_rss_mb'], 2)}
    Path(args.out).write_text(json.dumps(result, indent=1) + '\n')
    print(json.dumps({k: result[k] for k in ('time_ratio', 'memory_ratio')}))

if __name__ == '__main__': main()
