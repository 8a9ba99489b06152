"""Benchmark of facediv.generate: seconds per face of the GAN vs the diffusion route, side by side in one run.

GAN route: `facediv.generate.synthesize` (G2 mapping + synthesis, decode to UV albedo + offsets) at batch 1 and
batch 64, best of a few timed calls after a warm-up; and, separately, the template mesh from the offsets
(`vertices_from_uv_offsets`, per face). The model is the trained `models/train_step2/model.safetensors` when it
exists, else a generator built from params.yaml's `train_step1`/`train_step2` blocks with random weights (the
time does not depend on the weights; the record says which).

Diffusion route (the paper's data source, what the GAN replaces), per face:
  * an SD1.5-size UNet (diffusers `UNet2DConditionModel` built from the SD1.5 config, random weights, float32)
    at 64×64 latents with classifier-free guidance (batch 2, 77×768 text embeddings): `--unet-calls` timed
    calls, median × the configured steps (params.yaml `portraits.diffusers.steps`);
  * reconstruct (`facediv.reconstruct.reconstruct_face`, ground-truth landmarks so the landmark detector's
    time is not counted) + complete (`facediv.complete.complete_texture` against `portraits.n_scans` scans)
    + normalize (`facediv.normalizer.normalize_textures` with an untrained `Normalizer` of its default size,
    when that module exists) on a procedural 512² portrait at the portraits stage's `uv_res`;
  * extras reported apart (not in the issue's definition of the ratio): the ControlNet (`--controlnet`, a
    ControlNetModel made from the UNet, × steps) and the VAE decode of one 64×64 latent to 512².
The headline ratio = diffusion-route seconds per face / GAN seconds per face at batch 64 (and at batch 1).
The paper reports 40 s vs 0.014 s (≈ 2,857×) on a GPU. Both routes run on this machine's CPU with the same
torch threads. Writes bench/results/generate.json and prints a summary. Not a test.

    python bench/generate.py                       # defaults
    python bench/generate.py --controlnet --vae    # add the ControlNet and VAE-decode extras
"""
import argparse, os, platform, resource, sys, time
from pathlib import Path

import numpy as np
import torch
import yaml

from facediv.core import load_params, save_json

SD15_UNET = dict(sample_size=64, in_channels=4, out_channels=4, layers_per_block=2, cross_attention_dim=768,
                 attention_head_dim=8, block_out_channels=(320, 640, 1280, 1280),
                 down_block_types=('CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'DownBlock2D'),
                 up_block_types=('UpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D'))
SD15_VAE = dict(in_channels=3, out_channels=3, latent_channels=4, layers_per_block=2, sample_size=512,
                block_out_channels=(128, 256, 512, 512), down_block_types=('DownEncoderBlock2D',) * 4,
                up_block_types=('UpDecoderBlock2D',) * 4)

def peak_ram_mb() -> float: return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

def best_of(fn, repeats:int) -> float:
    "Best wall time of `repeats` calls of `fn` (after one warm-up call)."
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter(); fn(); times.append(time.perf_counter() - t)
    return min(times)

def gan_model(model_path:str, params:str):
    "(GanModel, description): the trained model, or a random-weight one of the params' configuration."
    from facediv.generate import load_model, GanModel
    if Path(model_path).exists(): return load_model(model_path), f'trained model {model_path}'
    from facediv.gan import Generator, Encoder
    from facediv.train_step1 import TRAIN_STEP1_SCHEMA, step1_options
    from facediv.train_step2 import TRAIN_STEP2_SCHEMA
    from facediv.dataset import IMG_CHANNELS, C_DIM
    c1 = load_params('train_step1', TRAIN_STEP1_SCHEMA, params)
    c2 = load_params('train_step2', TRAIN_STEP2_SCHEMA, params)
    o1 = step1_options(c1, 'data', 'out', 'plots', 'm.json')
    G = Generator(z_dim=c1.z_dim, c_dim=C_DIM, w_dim=c2.G.w_dim, img_resolution=c1.resolution, img_channels=IMG_CHANNELS,
                  mapping_kwargs=dict(c2.G.mapping), synthesis_kwargs=dict(c2.G.synthesis)).eval()
    return (GanModel(G, Encoder(**o1['E_kwargs']).eval(), Generator(**o1['G_kwargs']).eval(), c1.resolution, c1.offset_scale, {}),
            f'random weights, params.yaml profile {c1.profile} ({c1.resolution}²)')

def time_gan(gm, batches, repeats:int) -> dict:
    from facediv.generate import synthesize, face_codes, resolve_labels
    from facediv.template import uv_raster, vertices_from_uv_offsets
    out = {}
    for b in batches:
        codes, labels = face_codes(0, 0, b, gm.z_dim), resolve_labels(b, seed=0)
        out[f'batch_{b}'] = best_of(lambda: synthesize(gm, codes, labels), repeats) / b
    offsets = synthesize(gm, face_codes(0, 0, 1, gm.z_dim), resolve_labels(1, seed=0))['offsets'][0]
    r = uv_raster(gm.resolution)
    out['mesh_per_face'] = best_of(lambda: vertices_from_uv_offsets(offsets, r), repeats)
    return out

@torch.no_grad()
def time_diffusion(steps:int, unet_calls:int, controlnet:bool, vae:bool) -> dict:
    from diffusers import UNet2DConditionModel, ControlNetModel, AutoencoderKL
    t = time.perf_counter()
    unet = UNet2DConditionModel(**SD15_UNET).eval()
    out = {'unet_params_M': sum(p.numel() for p in unet.parameters()) / 1e6, 'unet_build_s': time.perf_counter() - t}
    latents, text = torch.randn(2, 4, 64, 64), torch.randn(2, 77, 768)             # CFG: conditional + unconditional
    def unet_call(): unet(latents, torch.tensor(500), encoder_hidden_states=text)
    unet_call()                                                                       # warm-up
    calls = []
    for _ in range(unet_calls):
        t = time.perf_counter(); unet_call(); calls.append(time.perf_counter() - t)
    out['unet_call_s'] = float(np.median(calls))
    out['unet_per_face_s'] = out['unet_call_s'] * steps
    if controlnet:
        cn = ControlNetModel.from_unet(unet).eval()
        cond = torch.randn(2, 3, 512, 512)
        call = lambda: cn(latents, torch.tensor(500), encoder_hidden_states=text, controlnet_cond=cond, return_dict=False)
        out['controlnet_call_s'] = best_of(call, max(1, unet_calls - 1))
        out['controlnet_per_face_s'] = out['controlnet_call_s'] * steps
    if vae:
        dec = AutoencoderKL(**SD15_VAE).eval()
        out['vae_decode_s'] = best_of(lambda: dec.decode(latents[:1]), 1)
    return out

def time_postprocess(params:str) -> dict:
    "Seconds per face of reconstruct + complete + normalize on one procedural portrait (each a dict entry)."
    from facediv.portraits import PORTRAITS_SCHEMA, procedural_face
    from facediv.reconstruct import RECONSTRUCT_SCHEMA, reconstruct_face
    from facediv.complete import complete_texture, COMPLETE_SCHEMA
    from facediv.taxonomy import Attributes
    from facediv.template import uv_raster
    from fastcore.basics import AttrDict
    pc = load_params('portraits', PORTRAITS_SCHEMA, params)
    raw = yaml.safe_load(Path(params).read_text())
    rc = (load_params('reconstruct', RECONSTRUCT_SCHEMA, params) if 'reconstruct' in raw else   # the stage's documented defaults
          AttrDict(uv_res=pc.uv_res, landmarks='ground_truth', identity_modes=100, ridge=1.0, identity_prior='labels', fit_expression=True, refine=False))
    cc = load_params('complete', COMPLETE_SCHEMA, params)
    face = procedural_face(Attributes('South Asian', '40-44', 'female'), 7, pc)
    scans = np.stack([procedural_face(Attributes(e, '30-34', g), 100 + k, pc, with_image=False)['gt_albedo'].astype(np.float32)
                      for k, (e, g) in enumerate([('East Asian', 'male'), ('West African', 'female'), ('Northern European', 'male'),
                                                   ('Hispanic/Latino', 'female')])])
    n_scans = max(pc.n_scans, 1)                                                      # retrieval cost grows with the scan count
    scans = np.concatenate([scans] * -(-n_scans // len(scans)))[:n_scans]
    if scans.shape[2] != rc.uv_res:
        from scipy import ndimage
        scans = ndimage.zoom(scans, (1, 1, rc.uv_res / scans.shape[2], rc.uv_res / scans.shape[2], 1), order=1)
    out = {'portrait_px': int(face['image'].shape[0]), 'uv_res': rc.uv_res, 'landmarks': 'ground_truth (detector not timed)',
           'n_scans': n_scans}
    rcfg = AttrDict({**rc, 'landmarks': 'ground_truth'})
    rec = {}
    def reconstruct(): rec['arrays'] = reconstruct_face(face['image'], rcfg, face['gt_landmarks2d'])[0]
    out['reconstruct_s'] = best_of(reconstruct, 1)
    a, r = rec['arrays'], uv_raster(rc.uv_res)
    out['complete_s'] = best_of(lambda: complete_texture(a['uv_texture'].astype(np.float32), a['uv_confidence'].astype(np.float32),
                                                         scans, r, cc.levels, cc.symmetric), 1)
    try:
        from facediv.normalizer import Normalizer, normalize_textures
        model = Normalizer().eval()
        tex = a['uv_texture'].astype(np.float32)[None].clip(0, 1)
        with torch.no_grad(): out['normalize_s'] = best_of(lambda: normalize_textures(model, tex), 2)
        out['normalize'] = 'facediv.normalizer.Normalizer() (default size, untrained weights)'
    except Exception as e:                                                            # module not there yet, or another API
        out['normalize_s'] = 0.0
        out['normalize'] = f'not measured ({type(e).__name__}: {e})'
    return out

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--params', default='params.yaml')
    ap.add_argument('--model', default='models/train_step2/model.safetensors', help='trained step-2 model (else random weights)')
    ap.add_argument('--batches', type=int, nargs='+', default=[1, 64])
    ap.add_argument('--repeats', type=int, default=3, help='timed GAN calls per batch size (best counts)')
    ap.add_argument('--unet-calls', type=int, default=2, help='timed UNet calls (median × steps)')
    ap.add_argument('--steps', type=int, default=None, help='diffusion steps (default: portraits.diffusers.steps)')
    ap.add_argument('--controlnet', action='store_true', help='also time a ControlNet made from the UNet (reported apart)')
    ap.add_argument('--vae', action='store_true', help='also time the SD VAE decode (reported apart)')
    ap.add_argument('--out', default=str(Path(__file__).parent/'results'/'generate.json'))
    args = ap.parse_args()
    steps = args.steps or yaml.safe_load(Path(args.params).read_text())['portraits']['diffusers']['steps']
    t0 = time.time()
    gm, what = gan_model(args.model, args.params)
    gan = time_gan(gm, args.batches, args.repeats)
    print(f"GAN ({what}): " + ', '.join(f"{k} {v * 1e3:.2f} ms/face" for k, v in gan.items()), file=sys.stderr)
    ram_gan = peak_ram_mb()
    post = time_postprocess(args.params)
    print(f"reconstruct {post['reconstruct_s']:.2f} s, complete {post['complete_s']:.2f} s, normalize {post['normalize_s']:.3f} s "
          f"({post['normalize']})", file=sys.stderr)
    diff = time_diffusion(steps, args.unet_calls, args.controlnet, args.vae)
    print(f"UNet ({diff['unet_params_M']:.0f} M params): {diff['unet_call_s']:.2f} s/call × {steps} steps = "
          f"{diff['unet_per_face_s']:.1f} s/face", file=sys.stderr)
    diffusion_s = diff['unet_per_face_s'] + post['reconstruct_s'] + post['complete_s'] + post['normalize_s']
    extras_s = diff.get('controlnet_per_face_s', 0) + diff.get('vae_decode_s', 0)
    ratio = {f'batch_{b}': diffusion_s / gan[f'batch_{b}'] for b in args.batches}
    record = {'benchmark': 'seconds per face: GAN generation vs diffusion route (SD1.5-size UNet × steps + reconstruct + complete + normalize)',
              'gan_model': what, 'gan_resolution': gm.resolution, 'gan_seconds_per_face': gan,
              'diffusion_steps': steps, 'diffusion': diff, 'postprocess': post,
              'diffusion_route_seconds_per_face': diffusion_s, 'diffusion_extras_seconds_per_face': extras_s,
              'speed_ratio': ratio,
              'speed_ratio_with_extras': {k: (diffusion_s + extras_s) / gan[k] for k in ratio} if extras_s else None,
              'paper': {'diffusion_s': 40.0, 'gan_s': 0.014, 'ratio': 40 / 0.014, 'hardware': 'GPU (paper)'},
              'machine': f"{platform.machine()} {os.cpu_count()} CPU cores, torch {torch.__version__} ({torch.get_num_threads()} threads), "
                         f"load average before {os.getloadavg()[0]:.1f}",
              'peak_ram_mb': {'after_gan': round(ram_gan), 'total': round(peak_ram_mb())}, 'wall_s': round(time.time() - t0, 1)}
    save_json(record, args.out)
    for k, v in ratio.items():
        print(f"ratio at GAN {k}: {diffusion_s:.1f} s / {gan[k] * 1e3:.2f} ms = {v:,.0f}× (paper ≈ 2,857×)", file=sys.stderr)
    print(f"written {args.out}", file=sys.stderr)

if __name__ == '__main__':
    main()
