"""Train facediv/third_party/hair-parser/hair_parser.safetensors: the U-Net that tells `reconstruct` which portrait
pixels are hair (see nbs/06a_occlusion.ipynb).

N procedural portraits (every ethnicity, age and gender, drawn from the seed stream 'hair_parser', which no stage
uses) are rendered at --size px with their hair layer (`gt_hair_alpha`); the first 90 % train the parser, the last
10 % score it (IoU, precision, recall at probability 0.5). The file records the data, seeds, timings and scores.
Deterministic for a given facediv version and torch build.
Run: python tools/train_hair_parser.py [--n 800] [--epochs 15]   (about 10 min on 2 cores)"""
import argparse, datetime, subprocess, time
from multiprocessing import Pool
import numpy as np
import torch
import facediv.portraits as P
from facediv.core import load_params, rng, PACKAGE_DIR
from facediv.taxonomy import Attributes, ETHNICITIES, AGE_GROUPS, GENDERS
from facediv.occlusion import train_hair_parser, hair_probability, mask_scores, save_hair_parser, HAIR_PARSER_FILE

OUT = PACKAGE_DIR/'third_party/hair-parser'/HAIR_PARSER_FILE

def portrait(args) -> tuple:
    "(image, hair layer) of portrait `i` of the 'hair_parser' stream at `size` px."
    i, size = args
    cfg = load_params('portraits', P.PORTRAITS_SCHEMA, 'params.yaml')
    cfg = type(cfg)({**cfg, 'image_size': size})
    g = rng(0, 'hair_parser', i)
    attrs = Attributes(ETHNICITIES[i % len(ETHNICITIES)], AGE_GROUPS[g.integers(len(AGE_GROUPS))], GENDERS[g.integers(len(GENDERS))])
    face = P.procedural_face(attrs, int(g.integers(2 ** 31)), cfg)
    return face['image'], face['gt_hair_alpha']

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--n', type=int, default=800); ap.add_argument('--size', type=int, default=256)
    ap.add_argument('--epochs', type=int, default=15); ap.add_argument('--out', default=str(OUT))
    args = ap.parse_args()
    t0 = time.time()
    with Pool(2) as pool: faces = pool.map(portrait, [(i, args.size) for i in range(args.n)], chunksize=8)
    images, alpha = np.stack([f[0] for f in faces]), np.stack([f[1] for f in faces])
    n_train = int(0.9 * args.n)
    t1 = time.time()
    torch.manual_seed(0)
    parser = train_hair_parser(images[:n_train], alpha[:n_train], epochs=args.epochs, log=print)
    t2 = time.time()
    scores = {k: round(v, 4) for k, v in mask_scores(hair_probability(parser, images[n_train:]), alpha[n_train:] / 255).items()}
    print('held-out portraits:', scores)
    commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True).stdout.strip()
    save_hair_parser(parser, args.out, {
        'made_by': 'tools/train_hair_parser.py', 'facediv_commit': commit, 'date': datetime.date.today().isoformat(),
        'data': f"{args.n} procedural portraits at {args.size} px, seed stream 'hair_parser' (every ethnicity in turn, "
                f"age group and gender drawn uniformly); {n_train} train, {args.n - n_train} held out",
        'epochs': args.epochs, 'parameters': sum(p.numel() for p in parser.parameters()),
        'held_out_scores': scores, 'seconds': {'portraits': round(t1 - t0, 1), 'training': round(t2 - t1, 1)}})
    print(f"wrote {args.out} in {time.time() - t0:.0f} s")
