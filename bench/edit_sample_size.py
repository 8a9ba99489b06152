"""Do more edits settle the generator issue's near-misses? (issue 16: age edits +14.5 years against 15, age retention
0.694 against 0.7, both "missed (within noise)" at the evaluate stage's 24 edits per kind)

Runs `judged.judged_edits` on the default model at n edits per kind (the first 24 are the evaluate stage's own: the
codes and labels of a larger n extend those of a smaller one) and reports each edit goal with its 95 % interval
(`judged.edit_intervals`) and the wall time, so the cost of a larger `evaluate.judged.n_edit` can be weighed.

    python bench/edit_sample_size.py [--n 24,72]      # -> bench/results/edit_sample_size.json (about 4 min on 2 cores)
"""
import argparse, json, time
from pathlib import Path

from facediv.generate import load_model
from facediv.judged import EDIT_KINDS, edit_intervals, judged_edits, judged_goals, judged_lighting

def edit_goals(gm, lighting, headline:dict, n:int) -> dict:
    "The edit goals (change and retention per kind) at n edits per kind, with intervals, and the seconds it took."
    t = time.time()
    _, sheets = judged_edits(gm, lighting, n, headline=headline)
    seconds = round(time.time() - t, 1)
    ivs = {kind: edit_intervals(kind, sheets[kind]['judged'], *sheets[kind]['labels'], headline) for kind in EDIT_KINDS}
    rows = judged_goals({'intervals': {'identity_spread': {}, 'edits': ivs, 'gap': {}}})   # the edit rows of evaluate's goals
    return {'n': n, 'seconds': seconds, 'goals': rows}

if __name__ == '__main__':
    ap = argparse.ArgumentParser(); ap.add_argument('--n', default='24,72'); ap.add_argument('--out', default='bench/results/edit_sample_size.json')
    args = ap.parse_args()
    gm = load_model('models/train_step2/model.safetensors')
    lighting, condition, _, headline = judged_lighting('metrics/perceive.json')
    runs = [edit_goals(gm, lighting, headline, int(n)) for n in args.n.split(',')]
    for r in runs: print(r['n'], r['seconds'], [(g['measure'], g['value'], g['ci'], g['verdict']) for g in r['goals']], flush=True)
    out = {'what': __doc__.split('\n')[0], 'render_condition': condition, 'runs': runs}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True); Path(args.out).write_text(json.dumps(out, indent=1))
