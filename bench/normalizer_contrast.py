"""Does the normalizer keep the contrast of lips, brows and eye make-up? (issue 15: bald-asset gender)

Female faces carry more contrast between lips or eyes and the surrounding skin than male ones, and observers
(and face models) use it. This bench measures, on the perceive stage's asset sample (20 data faces per
ethnicity), each feature region's log-luminance contrast against the cheeks, in UV space, for the women:

- the portrait's ground-truth albedo, and that albedo relit the way the normalizer's paired training stream
  lights its target scans (`relight.relight_uv`, the ground-truth shape's normals);
- the normalizer's output on those training-style inputs, and on the completed lit textures of the real
  pipeline (what the GAN learns);
- for each normalizer given with `--models`, its output on the real pipeline's textures, its PSNR against the
  ground truth (face tile, seen texels, sRGB), and how FaceRes reads the bald heads (perceive's render set-up).

Needs the dvc repro outputs (data/portraits, data/complete, data/normalize, models/train_normalizer,
metrics/perceive.json) and the judges. The variants of 2026-12-07 were trained with `python -m
facediv.train_normalizer --params P --model_dir D ...`, where P is params.yaml with one change:
`G.shading_basis: false` (no normal-linear gain), or `train.colour_sigma: 0` (colour loss per texel).

    python bench/normalizer_contrast.py [--models name=model_dir ...]   # -> bench/results/normalizer_contrast.json
"""
import argparse, json, sys
from pathlib import Path
import numpy as np
import torch
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bald_women import read_as_label, rows_of
from facediv.judge import judge_faces
from facediv.judged import judged_lighting
from facediv.normalizer import load_model, normalize_textures
from facediv.perceive import sample_shards
from facediv.recognition import render_faces
from facediv.relight import face_normals, face_scores, relight_uv
from facediv.skin import face_regions
from facediv.template import template_vertices

PARTS = ('lips', 'brows', 'eyeliner')
LUMA = np.array([0.2126, 0.7152, 0.0722])

def feature_contrast(albedo:np.ndarray, regions:dict, rows:np.ndarray) -> dict:
    "{part: mean over `rows` of log(luminance of the part / luminance of the cheeks)} of linear UV textures [N,2,R,R,3]."
    def region_mean(w): return (albedo * w[None, ..., None]).sum((1, 2, 3)) / w.sum()
    cheeks = region_mean(regions['cheeks']) @ LUMA
    return {p: round(float(np.log(region_mean((regions[p] > 0.5).astype(np.float32)) @ LUMA / cheeks)[rows].mean()), 3) for p in PARTS}

def psnr_seen(pred:np.ndarray, gt:np.ndarray, seen:np.ndarray) -> float:
    "Mean per-face PSNR (dB, sRGB) on the face tile's seen texels, as the normalize stage scores it (`relight.face_scores`)."
    return round(float(np.nanmean(face_scores(np.clip(pred[:, 0], 0, 1), gt[:, 0], seen)['psnr'])), 2)

def asset_sample() -> dict:
    "Perceive's asset sample (20 data faces per ethnicity) with what scoring a normalizer needs: lit textures, truth, seen texels, regions, normals, light."
    n = sample_shards('data/normalize', 'normalize', ('identity', 'expression', 'uv_confidence'), 20, 0)
    truth = rows_of('data/portraits', 'portraits', ('gt_albedo', 'gt_identity', 'gt_expression'), n['face_id'])
    gt = truth['gt_albedo'].astype(np.float32)
    return {'n': n, 'att': n['attributes'], 'women': n['attributes'][:, 2] == 1, 'truth': truth, 'gt': gt,
            'lit': rows_of('data/complete', 'complete', ('uv_texture',), n['face_id'])['uv_texture'].astype(np.float32),
            'seen': n['uv_confidence'][:, 0].astype(np.float32) > 0.5, 'regions': face_regions(gt.shape[2]),
            'fitted_normals': face_normals(n['identity'], n['expression'], gt.shape[2]), 'light': judged_lighting('metrics/perceive.json')[0]}

def score_model(folder, s:dict) -> dict:
    "A normalizer's output on the sample's real-pipeline textures: women's feature contrast, PSNR against the truth, and how FaceRes reads the bald heads."
    with torch.no_grad(): albedo = normalize_textures(load_model(folder, 'normalizer'), s['lit'], s['fitted_normals'])
    images, _ = render_faces(np.clip(albedo, 0, 1).astype(np.float32), vertices=template_vertices(s['n']['identity']), size=256, lighting=s['light'])
    read = read_as_label(judge_faces(images, box_scale=1.5, flip=True, models=('faceres',)), s['att'])
    return {'folder': str(folder), 'women_contrast': feature_contrast(albedo, s['regions'], s['women']), 'psnr_seen_db': psnr_seen(albedo, s['gt'], s['seen']),
            'bald_gender_all': read['all'], 'bald_gender_women': read['women'], 'age_spearman': read['age_spearman']}

if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--models', nargs='*', default=[], help='name=model_dir of normalizer variants, beside the default models/train_normalizer')
    ap.add_argument('--out', default='bench/results/normalizer_contrast.json')
    args = ap.parse_args()
    torch.set_num_threads(2)
    s = asset_sample()
    gt, regions, women = s['gt'], s['regions'], s['women']
    gt_normals = face_normals(s['truth']['gt_identity'], s['truth']['gt_expression'], gt.shape[2])
    g = np.random.default_rng(0)
    relit = np.clip(np.stack([relight_uv(gt[i], gt_normals[i], g) for i in range(len(gt))]), 0, 1).astype(np.float32)
    default = load_model('models/train_normalizer', 'normalizer')
    with torch.no_grad(): relit_back = normalize_textures(default, relit, gt_normals)
    out = {'what': __doc__.split('\n')[0], 'n_faces': int(len(gt)), 'n_women': int(women.sum()),
           'contrast': 'log(luminance of the region / luminance of the cheeks), women, UV space (face_regions weight > 0.5)',
           'women_contrast': {'ground-truth albedo': feature_contrast(gt, regions, women),
                              'ground truth relit as the training stream lights it': feature_contrast(relit, regions, women),
                              'normalizer on the training-style input': feature_contrast(relit_back, regions, women),
                              'completed lit texture (real pipeline)': feature_contrast(s['lit'], regions, women)},
           'models': {}}
    for name, folder in [('default', 'models/train_normalizer')] + [m.split('=', 1) for m in args.models]:
        out['models'][name] = score_model(folder, s)
        print(name, out['models'][name], flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True); Path(args.out).write_text(json.dumps(out, indent=1) + '\n')
    print(json.dumps(out['women_contrast'], indent=1))
