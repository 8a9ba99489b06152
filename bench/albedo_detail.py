"""G2's albedo detail head (issue 16's full-resolution texture goal): what it adds above the network's 64², measured.

1. **Ridge λ** (`train_step2.albedo_detail.ridge`): the head fitted on the first 850 normalized faces at each λ,
   scored on the last 150 (never fitted): the share of their detail (albedo at 256² minus its 64² upsampled) that the
   head predicts from the face's albedo coefficients and labels.
2. **Held-out test scans** (never trained on by any network): projected to codes at their labels
   (`generate.project_codes`), regenerated with and without the head; PSNR of the face tile against the scan's own
   albedo at 256² (sRGB), and the share of the scan's detail the head reproduces.
3. **Spectrum**: luminance power per octave band of generated albedo (same labels as the data sample), with the
   head and with bilinear upsampling alone, over the data's at 256², up to Nyquist (128 cycles per tile).
4. **Cost**: seconds per face of `synthesize` with and without the head (interleaved rounds), the head's bytes.
5. **Picture** (bench/results/albedo_detail.png): the face tile of four generated faces, eyes and brows, as the network
   draws it (64² upsampled) and with the head, next to four data faces at 256².

Needs models/train_step2, data/normalize, data/scans. Not a test.

    python bench/albedo_detail.py           # -> bench/results/albedo_detail.json (~3 min on 2 cores)
"""
import argparse, copy, json, time
from pathlib import Path

import numpy as np
import torch

from facediv.core import iter_shards, linear_to_srgb
from facediv.dataset import resize_tiles
from facediv.generate import load_model, synthesize, project_codes, face_codes
from facediv.judged import held_out_scans, albedo_spectra, evenly
from facediv.taxonomy import one_hot
from facediv.train_step2 import fit_albedo_detail, _encoded_albedo
from facediv.gan import albedo_channels

ROOT = Path(__file__).resolve().parents[1]

def load_faces(data_dir, start:int, stop:int) -> tuple:
    "(linear albedo [n,2,H,H,3] float32, labels [n,3]) of normalized faces start…stop-1 in file order."
    albedo, labels, n = [], [], 0
    for a in iter_shards(data_dir, 'normalize', keys=('uv_albedo', 'attributes')):
        k = len(a['attributes'])
        lo, hi = max(start - n, 0), min(stop - n, k)
        if hi > lo: albedo.append(a['uv_albedo'][lo:hi].astype(np.float32)); labels.append(a['attributes'][lo:hi])
        n += k
    return np.concatenate(albedo), np.concatenate(labels).astype(np.int64)

@torch.no_grad()
def detail_explained(G, albedo:np.ndarray, labels:np.ndarray) -> float:
    "Share of the faces' detail (albedo at D² minus its network-resolution upsampling, network encoding) that G's detail head predicts from their least-squares albedo coefficients."
    D, R, S, A = G.detail_resolution, G.img_resolution, G.albedo_sets, G.albedo_components
    lo, c = _encoded_albedo(albedo, R), torch.from_numpy(one_hot(labels))
    along = torch.einsum('np,sap->nsa', (lo - albedo_channels(G.prior(c))).flatten(1), G.albedo_basis.view(S, A, -1))
    a = torch.einsum('ns,nsa->na', G.albedo_scales(c)[1], along)
    detail = _encoded_albedo(albedo, D) - torch.nn.functional.interpolate(lo, size=(D, D), mode='bilinear', align_corners=False)
    return round(1 - float((detail - G.albedo_detail(None, c, coefficients=a)).square().sum() / detail.square().sum()), 4)

def psnr(a:np.ndarray, b:np.ndarray) -> float:
    "PSNR (dB) of two linear albedo sets' face tiles, compared in sRGB."
    mse = np.mean((linear_to_srgb(np.clip(a[:, 0], 0, 1)) - linear_to_srgb(np.clip(b[:, 0], 0, 1))) ** 2)
    return round(float(10 * np.log10(1 / mse)), 3)

def picture(flat:np.ndarray, sharp:np.ndarray, data:np.ndarray, path:Path) -> None:
    "PNG: rows = network upsampled, detail head, data; columns = faces; the face tile's upper middle (brows, eyes, nose) in sRGB."
    from PIL import Image
    D = flat.shape[2]
    crop = lambda a: linear_to_srgb(np.clip(a[:, 0, D // 8:D // 2, D // 5:4 * D // 5], 0, 1))   # [n,h,w,3]
    rows = [np.concatenate(list(crop(a)), 1) for a in (flat, sharp, data)]
    Image.fromarray((np.concatenate(rows, 0) * 255).round().astype(np.uint8)).save(path)

def main(model:str, data:str, scans:str, out:str, n_scans:int=48, n_spectrum:int=140) -> dict:
    gm = load_model(model)
    G, D = gm.G, gm.G.detail_resolution
    if not D: raise SystemExit(f"{model} has no albedo detail head (train_step2.albedo_detail)")
    res = {'model': str(Path(model).resolve().relative_to(ROOT)) if Path(model).resolve().is_relative_to(ROOT) else model, 'resolution': {'network': gm.resolution, 'detail': D}, 'components': G.detail_components}
    # 1. ridge: fit on the first 850 faces, score on the last 150
    fit_albedo, fit_labels = load_faces(data, 850, 1000)
    res['ridge'] = {}
    for ridge in (1.0, 10.0, 100.0):
        Gr = copy.deepcopy(G)
        t = time.perf_counter(); info = fit_albedo_detail(Gr, data, ridge, max_faces=850)
        res['ridge'][str(ridge)] = {'held_out_explained': detail_explained(Gr, fit_albedo, fit_labels), 'fit_seconds': round(time.perf_counter() - t, 1),
                                    'rank_energy': info['rank_energy']}
        print('ridge', ridge, res['ridge'][str(ridge)], flush=True)
    res['shipped_head_on_those_faces'] = {'explained': detail_explained(G, fit_albedo, fit_labels),
                                          'note': 'the shipped head was fitted on all 1000 faces, these included'}
    # 2. held-out test scans: projected, regenerated with and without the head
    hi = held_out_scans(scans, D, gm.offset_scale, n_scans)          # the scans' own albedo at D² (round-tripped through the encoding)
    codes = project_codes(gm, hi['albedo'], hi['offsets'], hi['labels'])
    flat, sharp = synthesize(gm, codes, hi['labels']), synthesize(gm, codes, hi['labels'], detail=True)
    up = resize_tiles(flat['albedo'], D)
    res['test_scans'] = {'n': len(codes), 'psnr_db': {'network_upsampled': psnr(up, hi['albedo']), 'detail_head': psnr(sharp['albedo'], hi['albedo'])},
                         'detail_explained': detail_explained(G, hi['albedo'], hi['labels'])}
    print('test scans', res['test_scans'], flush=True)
    # 3. spectrum at D² against the data
    data_albedo, data_labels = load_faces(data, 0, 1000)
    keep = evenly(len(data_labels), n_spectrum)
    data_albedo, data_labels = data_albedo[keep], data_labels[keep]
    gen_codes = face_codes(1, 0, len(keep), gm.z_dim)
    with_head = np.concatenate([synthesize(gm, gen_codes[i:i + 35], data_labels[i:i + 35], detail=True)['albedo'] for i in range(0, len(keep), 35)])
    without = resize_tiles(np.concatenate([synthesize(gm, gen_codes[i:i + 35], data_labels[i:i + 35])['albedo'] for i in range(0, len(keep), 35)]), D)
    data_hi = resize_tiles(data_albedo, D)
    res['spectrum_bands_luma'] = {'detail_head': albedo_spectra(with_head, data_hi)[1]['bands'], 'bilinear_only': albedo_spectra(without, data_hi)[1]['bands']}
    print('spectrum', json.dumps(res['spectrum_bands_luma']), flush=True)
    picture(without[:4], with_head[:4], data_hi[:4], Path(out).with_suffix('.png'))
    # 4. cost
    codes16, labels16 = gen_codes[:16], data_labels[:16]
    times = {'network': [], 'detail_head': []}
    for _ in range(3):
        for name, detail in (('network', False), ('detail_head', True)):
            t = time.perf_counter(); synthesize(gm, codes16, labels16, detail=detail); times[name].append((time.perf_counter() - t) / 16)
    res['seconds_per_face'] = {k: round(min(v), 5) for k, v in times.items()}
    res['head_bytes'] = int(sum(b.numel() * b.element_size() for name, b in G.named_buffers() if name.startswith('detail_')))
    res['threads'] = torch.get_num_threads()
    Path(out).parent.mkdir(parents=True, exist_ok=True); Path(out).write_text(json.dumps(res, indent=1))
    return res

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--model', default=str(ROOT/'models/train_step2/model.safetensors'))
    ap.add_argument('--data', default=str(ROOT/'data/normalize'))
    ap.add_argument('--scans', default=str(ROOT/'data/scans'))
    ap.add_argument('--out', default=str(ROOT/'bench/results/albedo_detail.json'))
    a = ap.parse_args()
    main(a.model, a.data, a.scans, a.out)
