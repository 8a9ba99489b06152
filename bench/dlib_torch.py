"""dlib's face recognition ResNet run by torch (`recognition.DlibResNet`) against dlib's own forward pass, side by side.

The `dlib-bin` wheel has no BLAS: its ResNet took about 77 ms a face on one core, and `evaluate` spread it over 2
processes. `DlibEmbedder` now reads dlib's weights and runs the same network in torch. Both routes here start from
the same rendered faces of the committed run and include dlib's 5-point shape and chip cut; old and new are
interleaved (A B A B ...) in one process. The descriptors are compared, and so are the same-person decisions at
dlib's 0.6 threshold over every pair.

    python bench/dlib_torch.py [--faces 200] [--rounds 2] [--out bench/results/dlib_torch.json]
    python bench/dlib_torch.py --estimate_only     # only the whole-run estimate, after a new speed_levers.json
"""
import argparse, datetime, json, math, multiprocessing, platform, sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'bench'))
from speed_levers import ab  # noqa: E402

_DLIB = None

def _dlib_descriptors(images:np.ndarray, landmarks:np.ndarray) -> np.ndarray:
    "The old route, in a worker process: dlib's shape, chip and forward pass, face after face."
    global _DLIB
    import dlib
    from facediv.recognition import dlib_model_dir
    if _DLIB is None:
        d = dlib_model_dir()
        _DLIB = (dlib.shape_predictor(str(d/'shape_predictor_5_face_landmarks.dat')),
                 dlib.face_recognition_model_v1(str(d/'dlib_face_recognition_resnet_model_v1.dat')))
    shape, net = _DLIB
    out = []
    for im, lm in zip(images, landmarks):
        (x0, y0), (x1, y1) = lm.min(0), lm.max(0)
        box = dlib.rectangle(int(x0), int(y0), int(math.ceil(x1)), int(math.ceil(y1)))
        out.append(np.array(net.compute_face_descriptor(np.ascontiguousarray(im), shape(im, box))))
    return np.asarray(out, np.float32)

def descriptors_per_run(params=ROOT/'params.yaml') -> dict:
    "dlib descriptors a default run computes: evaluate's generated, identity-test and dataset renders, and audit's recogniser audit."
    from facediv.evaluate import EDITS
    from facediv.taxonomy import ETHNICITIES
    p = yaml.safe_load(Path(params).read_text())
    e, r = p['evaluate'], p['audit']['recognizer']
    n = {'evaluate_generated': e['n_faces'], 'evaluate_identity': e['n_identity'] * (3 + len(EDITS)),  # source, relit, turned, edits
         'evaluate_dataset': e['n_faces'],                                                             # as many dataset faces as generated
         'audit_recognizer': len(ETHNICITIES) * r['identities_per_group'] * r['variations']}
    return {**n, 'total': sum(n.values())}

def estimate(saved_s:float, levers_json=ROOT/'bench/results/speed_levers.json') -> dict:
    "The earlier whole run that `bench/speed_levers.py` estimates from, less its levers and this one."
    levers = json.loads(Path(levers_json).read_text())
    prev = levers['whole_run']
    return {'run': prev['previous'], 'run_min': prev['previous_min'], 'speed_levers_saved_s': levers['saved_per_run_s'], 'dlib_saved_s': saved_s,
            'run_less_all_levers_min': round((prev['previous_min'] * 60 - levers['saved_per_run_s'] - saved_s) / 60, 1)}

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--faces', type=int, default=200)
    ap.add_argument('--rounds', type=int, default=2)
    ap.add_argument('--workers', type=int, default=2, help="processes of the old route (evaluate used every core)")
    ap.add_argument('--out', default=str(ROOT/'bench/results/dlib_torch.json'))
    ap.add_argument('--estimate_only', action='store_true', help='recompute only the whole-run estimate of an existing --out')
    args = ap.parse_args(argv)
    if args.estimate_only:
        out = json.loads(Path(args.out).read_text())
        out['whole_run'] = estimate(out['lever']['saved_per_run_s'])
        Path(args.out).write_text(json.dumps(out, indent=1) + '\n'); print(json.dumps(out['whole_run'], indent=1)); return
    import torch
    from facediv.core import iter_shards
    from facediv.recognition import DlibEmbedder, render_faces
    from facediv.template import template_vertices
    if not (ROOT/'data/normalize/manifest.json').exists(): raise SystemExit("needs the default run's outputs: run `dvc repro` (or dvc pull) first")
    faces = {'uv_albedo': [], 'identity': []}
    for shard in iter_shards(ROOT/'data/normalize', 'normalize', keys=('uv_albedo', 'identity')):
        for k in faces: faces[k].append(shard[k])
        if sum(map(len, faces['identity'])) >= args.faces: break
    albedo, identity = (np.concatenate(faces[k])[:args.faces] for k in ('uv_albedo', 'identity'))
    size = yaml.safe_load((ROOT/'params.yaml').read_text())['evaluate']['render_size']
    images, landmarks = render_faces(albedo.astype(np.float32), vertices=template_vertices(identity), size=size)
    pool = ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context('spawn'))
    chunks = np.array_split(np.arange(len(images)), 4 * args.workers)
    old = lambda: np.concatenate(list(pool.map(_dlib_descriptors, [images[c] for c in chunks], [landmarks[c] for c in chunks])))
    embedder = DlibEmbedder()
    new = lambda: embedder(images, landmarks, raw=True)
    old(); new()                                                               # warm: the workers, the models
    row = ab(f'dlib descriptors of {len(images)} rendered faces', old, new, args.rounds)
    a, b = old(), new()
    pool.shutdown()
    i, j = np.triu_indices(len(a), 1)
    same = lambda d: np.linalg.norm(d[i] - d[j], axis=1) < 0.6
    row.update(faces=len(images), max_abs_difference=float(np.abs(a - b).max()), descriptor_norm=float(np.linalg.norm(a, axis=1).mean()),
               same_person_pairs=len(i), same_person_decisions_differ=int((same(a) != same(b)).sum()))
    per_run = descriptors_per_run()
    row['saved_per_run_s'] = round((row['old_s'] - row['new_s']) / len(images) * per_run['total'], 1)
    out = {'what': __doc__.split('\n\n')[0], 'date': datetime.date.today().isoformat(), 'machine': f'{platform.machine()}, 2 cores',
           'torch_threads': torch.get_num_threads(), 'old_route_processes': args.workers, 'rounds': args.rounds,
           'render_size': size, 'descriptors_per_run': per_run, 'lever': row, 'whole_run': estimate(row['saved_per_run_s'])}
    Path(args.out).write_text(json.dumps(out, indent=1) + '\n')
    print(json.dumps(row, indent=1), file=sys.stderr)

if __name__ == '__main__':
    main()
