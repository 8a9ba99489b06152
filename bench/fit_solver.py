"""The landmark fit's solver: `reconstruct.least_squares_lm` against scipy's trust-region reflective, side by side.

`fit_landmarks` fits pose, focal length, 100 identity and 53 expression coefficients to 68 landmarks. With
scipy's `least_squares(method='trf')` an SVD of the whole Jacobian at every iteration took two-thirds of the fit.
`least_squares_lm` solves the normal equations by Cholesky instead. Both start from the same MediaPipe landmarks
of portraits of the committed run (every third face of every second shard), face after face, alternating which
solver goes first. The fits are compared: identity and expression coefficients, residual, focal length, and
convergence.

    python bench/fit_solver.py [--out bench/results/fit_solver.json]
"""
import argparse, datetime, json, os, platform, time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

def portrait_landmarks(portraits_dir:Path, shard_step:int=2, face_step:int=3) -> tuple:
    "([N,68,2] MediaPipe landmarks, [N,100] label prior centres, image size) of a spread of committed portraits."
    from facediv.core import load_npz, read_manifest
    from facediv.reconstruct import detect_landmarks
    manifest = read_manifest(portraits_dir, 'portraits')
    found, priors = [], []
    for shard in manifest['shards'][::shard_step]:
        z = load_npz(portraits_dir/shard['file'], 'portraits', keys=('image', 'label_identity'))
        for image, prior in zip(z['image'][::face_step], z['label_identity'][::face_step]):
            lm = detect_landmarks(image)
            if lm is not None: found.append(lm); priors.append(prior)
    return np.stack(found), np.stack(priors), int(z['image'].shape[1])

def compare(portraits_dir:Path) -> dict:
    "Fit every face with both solvers (order alternating); seconds and differences."
    from facediv.reconstruct import fit_landmarks
    landmarks, priors, size = portrait_landmarks(portraits_dir)
    seconds, fits = {'trf': [], 'lm': []}, {'trf': [], 'lm': []}
    for i, (lm, prior) in enumerate(zip(landmarks, priors)):
        for solver in (('trf', 'lm') if i % 2 == 0 else ('lm', 'trf')):
            t0 = time.perf_counter()
            fits[solver].append(fit_landmarks(lm, size, expression=True, prior_mean=prior, solver=solver))
            seconds[solver].append(time.perf_counter() - t0)
    trf, lm = fits['trf'], fits['lm']
    stack = lambda fs, key: np.stack([getattr(f, key) for f in fs])
    focal = lambda fs: np.array([f.camera.K[0, 0] for f in fs])
    return {'faces': len(landmarks), 'image_size': size,
            'seconds_per_fit': {k: {'median': float(np.median(v)), 'mean': float(np.mean(v))} for k, v in seconds.items()},
            'speedup_mean': float(np.mean(seconds['trf']) / np.mean(seconds['lm'])),
            'converged': {'trf': int(sum(f.converged for f in trf)), 'lm': int(sum(f.converged for f in lm))},
            'max_abs_difference': {
                'identity': float(np.abs(stack(trf, 'identity') - stack(lm, 'identity')).max()),
                'expression': float(np.abs(stack(trf, 'expression') - stack(lm, 'expression')).max()),
                'residual_px': float(np.abs(stack(trf, 'residual_px') - stack(lm, 'residual_px')).max()),
                'focal_relative': float((np.abs(focal(trf) - focal(lm)) / focal(trf)).max())},
            'mean_residual_px': {'trf': float(stack(trf, 'residual_px').mean()), 'lm': float(stack(lm, 'residual_px').mean())},
            'mean_identity_norm': float(np.linalg.norm(stack(lm, 'identity'), axis=1).mean()),
            'evaluations_mean': {'trf': float(np.mean([f.n_evals for f in trf])), 'lm': float(np.mean([f.n_evals for f in lm]))}}

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--portraits_dir', default=str(ROOT/'data'/'portraits'))
    ap.add_argument('--out', default=str(ROOT/'bench'/'results'/'fit_solver.json'))
    args = ap.parse_args()
    portraits = Path(args.portraits_dir)
    manifest = json.loads((portraits/'manifest.json').read_text())
    row = compare(portraits)
    n_run = manifest.get('n_items', manifest.get('n_faces'))
    saved = (row['seconds_per_fit']['trf']['mean'] - row['seconds_per_fit']['lm']['mean']) * n_run
    out = {'what': __doc__.split('\n\n')[0], 'date': datetime.date.today().isoformat(),
           'machine': f"{platform.machine()}, {os.cpu_count()} cores, fits in one process (BLAS on one thread)",
           **row, 'faces_per_run': n_run,
           'saved_per_run_cpu_s': round(saved, 1),
           'saved_per_run_wall_s_2_workers': round(saved / 2, 1)}
    Path(args.out).write_text(json.dumps(out, indent=1) + '\n')
    print(json.dumps(out, indent=1))

if __name__ == '__main__': main()
