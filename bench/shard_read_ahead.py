"""Reading a finished dataset shard by shard, one at a time against two shards read ahead in threads.

`core.iter_shards(read_ahead=...)` feeds every pass over a sharded output. This times `dataset.load_textures` (the
whole normalized dataset: what `evaluate`, `classify`, `generate` and the GAN stages read) with read_ahead 0 and 2,
alternating, in one process, and checks that both return the same arrays. Writes bench/results/shard_read_ahead.json.
Needs the committed data (dvc pull / dvc repro normalize). Not a test: a timing, on an otherwise idle machine.

    python bench/shard_read_ahead.py [--rounds 3] [--data data/normalize]
"""
import argparse, functools, json, os, platform, time
from pathlib import Path
import numpy as np
import facediv.core as C
import facediv.dataset as D

ROOT = Path(__file__).resolve().parents[1]

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--data', default=str(ROOT/'data/normalize'))
    ap.add_argument('--out', default=str(ROOT/'bench/results/shard_read_ahead.json'))
    args = ap.parse_args()
    seconds, first = {0: [], 2: []}, {}
    for r in range(args.rounds):
        for ahead in ((0, 2) if r % 2 == 0 else (2, 0)):                   # alternate the order: the page cache warms both alike
            D.iter_shards = functools.partial(C.iter_shards, read_ahead=ahead)
            t = time.perf_counter(); out = D.load_textures(args.data, 64, 2.0, 0, albedo_res=64); seconds[ahead].append(round(time.perf_counter() - t, 2))
            if ahead not in first: first[ahead] = out
            print(f'round {r}: read_ahead {ahead}: {seconds[ahead][-1]} s', flush=True)
    same = all(np.array_equal(first[0][k], first[2][k]) for k in first[0])
    med = {k: float(np.median(v)) for k, v in seconds.items()}
    rec = {'what': f"dataset.load_textures of {os.path.relpath(args.data, ROOT)} (64², with 64² albedo), core.iter_shards read_ahead 0 against 2, "
                   f"{args.rounds} rounds alternating, one process, on a {os.cpu_count()}-core {platform.machine()} machine",
           'n_faces': int(len(first[0]['labels'])), 'seconds': {f'read_ahead_{k}': v for k, v in seconds.items()},
           'median_s': {f'read_ahead_{k}': v for k, v in med.items()}, 'speedup': round(med[0] / med[2], 2), 'same_arrays': same}
    Path(args.out).write_text(json.dumps(rec, indent=1) + '\n')
    print(json.dumps(rec, indent=1))
    if not same: raise SystemExit('read_ahead changed the arrays')

if __name__ == '__main__':
    main()
