"""How generated UV geometry becomes a head: the general inverse against the identity read (issue 16: what people see in the grids)

`template.vertices_from_uv_offsets` reproduces any offset map through 100 identity + 53 expression modes and a
smooth per-vertex residual. `template.identity_vertices_from_uv_offsets` reads the map as an ICT identity shape,
which is what every training map is. This bench generates the judged chapter's matched sample (10 faces per
ethnicity at the data's labels, seed 0) and the same data faces in the network's view. It renders each face
frontally under the calibrated judge lighting, decoded both ways, and counts the near-white pixels (every
channel > 200 of 255) in a box around each eye, from the projected iBUG-68 eye landmarks. A stare with the
eyeball showing all round, or an eyeball pushed out of its socket, shows as a large count. The same count
around the mouth shows teeth between parted lips. It also reports the expression weights that the general
inverse gives generated maps, the geometry each read leaves out, and the decode time of each. Needs the dvc repro outputs (models/train_step2, data/normalize, metrics/perceive.json).

    python bench/shape_read.py      # -> bench/results/shape_read.json and .png (about 2 min on 2 cores)
"""
import argparse, json, time
from pathlib import Path
import numpy as np
from PIL import Image
from facediv.generate import load_model
from facediv.judged import judged_lighting, matched_sample
from facediv.recognition import render_faces
from facediv.template import (_uv_inverse, identity_vertices_from_uv_offsets, load_template, uv_offset_map, uv_raster,
                              vertices_from_uv_offsets)

WHITE = 200   # a pixel is white when every sRGB channel exceeds this (sclera, teeth; no skin tone in the data does)

def white_pixels(images:np.ndarray, landmarks:np.ndarray, parts=((36, 42), (42, 48))) -> np.ndarray:
    "[N] near-white pixels in a box around each landmark group (twice its width across, 1.6 times it high), summed; by default both eyes."
    counts = np.zeros(len(images), np.int64)
    for k, (im, marks) in enumerate(zip(images, landmarks)):
        for lo, hi in parts:
            eye = marks[lo:hi]; (cx, cy), w = eye.mean(0), np.ptp(eye[:, 0])
            box = im[max(int(cy - 0.8 * w), 0):int(cy + 0.8 * w), max(int(cx - w), 0):int(cx + w)]
            counts[k] += int((box.min(-1) > WHITE).sum())
    return counts

def summary(counts:np.ndarray, reference:float) -> dict:
    return {'mean': round(float(counts.mean()), 1), 'p90': round(float(np.percentile(counts, 90)), 1), 'max': int(counts.max()),
            'faces_over_2x_data_median': int((counts > 2 * reference).sum())}

def expression_weights(offsets:np.ndarray, r) -> np.ndarray:
    "[N,53] the expression weights the general inverse's shape prior fits to each map."
    inv, n_id = _uv_inverse(r.res, tuple(r.tiles)), len(load_template().identity_modes)
    return np.stack([(inv.prior_inv @ (inv.modes @ (inv.texel_matrix.T @ o[r.mask].astype(np.float64)).reshape(-1)))[n_id:] for o in offsets])

if __name__ == '__main__':
    ap = argparse.ArgumentParser(); ap.add_argument('--per_ethnicity', type=int, default=10); ap.add_argument('--out', default='bench/results/shape_read.json')
    args = ap.parse_args()
    gm = load_model('models/train_step2/model.safetensors')
    ms = matched_sample(gm, 'data/normalize', args.per_ethnicity, 0)
    light = judged_lighting('metrics/perceive.json')[0]
    r = uv_raster(gm.resolution)
    reads = {'general inverse': vertices_from_uv_offsets, 'identity read': identity_vertices_from_uv_offsets}
    out = {'what': __doc__.split('\n\n')[0], 'n_faces': int(len(ms['data']['labels'])), 'resolution': gm.resolution, 'white_threshold': WHITE}
    images, seconds, counts, mouth = {}, {}, {}, {}
    for side in ('data', 'generated'):
        for name, read in reads.items():
            t0 = time.perf_counter()
            vertices = np.stack([read(o, r) for o in ms[side]['offsets']])
            seconds.setdefault(name, []).append((time.perf_counter() - t0) / len(vertices))
            ims, marks = render_faces(ms[side]['albedo'], vertices=vertices, size=256, lighting=light)
            images[side, name], counts[side, name] = ims, white_pixels(ims, marks)
            mouth[side, name] = white_pixels(ims, marks, ((48, 68),))
            if name == 'identity read':   # what each read leaves out of the map: the identity shape written back, against the map
                back = np.stack([uv_offset_map(v, r) for v in vertices])
                out.setdefault('geometry_left_out_rms_mm', {})[side] = round(float(np.sqrt(((back - ms[side]['offsets']) ** 2)[:, r.mask].mean())) * 10, 3)
    reference = float(np.median(counts['data', 'identity read']))
    out['white_eye_pixels'] = {f'{side}, {name}': summary(c, reference) for (side, name), c in counts.items()}
    out['white_mouth_pixels'] = {f'{side}, {name}': summary(c, float(np.median(mouth['data', 'identity read']))) for (side, name), c in mouth.items()}
    ex = expression_weights(ms['generated']['offsets'], r)
    names = load_template().expression_names
    out['generated_expression_weights'] = {'largest_abs': round(float(np.abs(ex).max()), 2), 'faces_with_a_weight_outside_0_1': int(((ex < -0.05) | (ex > 1.05)).any(1).sum()),
                                           'most_often_largest': max(set(np.abs(ex).argmax(1).tolist()), key=np.abs(ex).argmax(1).tolist().count)}
    out['generated_expression_weights']['most_often_largest'] = names[out['generated_expression_weights']['most_often_largest']]
    out['decode_ms_per_face'] = {name: round(1e3 * float(np.mean(s)), 2) for name, s in seconds.items()}
    # The picture: the generated faces with the largest count under the general inverse, both reads side by side (eyes and mouth).
    worst = np.argsort(-counts['generated', 'general inverse'])[:6]
    crop = lambda im: im[30:180, 40:216]
    rows = [np.concatenate([crop(images['generated', name][i]) for i in worst], 1) for name in reads]
    Image.fromarray(np.concatenate(rows, 0)).save(Path(args.out).with_suffix('.png'))
    out['picture'] = {'file': Path(args.out).with_suffix('.png').name, 'rows': list(reads), 'faces': [int(i) for i in worst]}
    Path(args.out).write_text(json.dumps(out, indent=1) + '\n')
    print(json.dumps(out, indent=1))
