"""Fuzzing: generated bad input never ends in a traceback or an unexplained error, and never leaves a half-written file.

A seeded generator (reproducible: the case number is in every failure message) makes 300+ cases:
- `facediv` command lines (in-process `cli.main`): random commands, labels, numbers, formats, paths;
- `params.yaml` blocks of every stage with values of the wrong type, out of range, or missing;
- corrupted files of every kind facediv reads: npz shards, safetensors checkpoints, GLB, PNG/JPEG photos, face JSON.
A case passes when the code either works or raises facediv's own error (`FaceDivError`: a problem and a fix);
any other exception, a traceback without --debug, or "unexpected error" is a failure.
"""
import contextlib, copy, io, random
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SEED = 20261204

@pytest.fixture(scope='module')
def world(tmp_path_factory):
    "Valid files of every kind, made with tiny models: the fuzzer corrupts copies of them."
    import torch
    torch.set_num_threads(1)
    from PIL import Image
    from skimage import data
    from facediv.testing import tiny_generator, write_synthetic_set
    from facediv.export import export_glb, template_asset
    from facediv.cli import main
    d = tmp_path_factory.mktemp('fuzz')
    model = tiny_generator(d/'gan')
    write_synthetic_set(d/'set', n=4, res=16, shard_size=4)
    export_glb(template_asset(texture_res=32), d/'template.glb')
    Image.fromarray(data.astronaut()).save(d/'photo.png')
    Image.fromarray(data.astronaut()).save(d/'photo.jpg', quality=90)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(['generate', '--seed', '1', '-o', str(d/'faces'), '--model', str(model), '--format', 'glb', '--no-preview',
                     '--translators', 'none', '--sr', 'none']) == 0
    return {'dir': d, 'model': model, 'npz': d/'set'/'shard_0000.npz', 'safetensors': model, 'glb': d/'template.glb',
            'png': d/'photo.png', 'jpg': d/'photo.jpg', 'json': d/'faces'/'seed1_face0000'/'seed1_face0000.json'}

def run_cli(argv:list) -> tuple:
    "(exit code, stderr) of `facediv argv` run in-process."
    from facediv.cli import main
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        try: code = main([str(a) for a in argv])
        except SystemExit as e: code = e.code    # argparse usage errors
    return code, err.getvalue()

def check_cli(case:int, argv:list, out:Path):
    code, err = run_cli(argv)
    where = f"case {case}: facediv {' '.join(map(str, argv))}\n{err[-1500:]}"
    assert code in (0, 1, 2), where
    assert 'Traceback' not in err and 'unexpected error' not in err, where
    if code == 1: assert 'error:' in err and 'fix:' in err, where
    if out.exists(): assert not [p for p in out.rglob('*') if p.name.endswith('.tmp')], f"{where}: half-written files left"

WORDS = ['Martian', 'east asian', 'West African', '', ' ', 'random', '-5', '0', '14', '15', '42', '75+', '130', '1e9', 'nan', 'x' * 300,
         'male', 'F', 'unisex', 'éthnie', '40-44', '44-40', 'None', '../../etc/passwd']

def cli_cases(rng:random.Random, w:dict, n:int):
    d = w['dir']
    for case in range(n):
        out = d/'out'/f'c{case}'
        cmd = rng.choice(['generate', 'edit', 'export', 'reconstruct', 'judge', 'info', 'frobnicate'])
        argv = [cmd]
        if cmd in ('edit', 'export'): argv.append(rng.choice([w['json'].parent, w['json'], d/'missing', w['glb'], w['png'], 'template', w['npz']]))
        if cmd in ('reconstruct', 'judge'): argv += rng.sample([w['png'], w['glb'], d/'missing.jpg', w['npz'], w['json']], rng.randint(1, 3))
        for flag in rng.sample(['--ethnicity', '--age', '--gender', '--seed', '-n', '--psi', '--texture-res', '--format', '--parts',
                                '--expression', '--batch-size', '--glasses', '--scans', '--normalizer'], rng.randint(0, 4)):
            value = rng.choice(WORDS + ['glb', 'glb,obj', 'fbx', 'skin,eyes', 'hair', 'jawOpen=0.5', 'jawOpen=2', 'smile=1', 'yes', '8', '1024', '3'])
            argv += [flag, value]
        argv += ['-o', out, '--model', rng.choice([w['model'], d/'missing.safetensors', w['npz']])] if cmd in ('generate', 'edit', 'export') else (['-o', out] if cmd == 'reconstruct' else [])
        if cmd in ('generate', 'edit', 'export', 'reconstruct'): argv += ['--translators', 'none', '--sr', 'none', '--no-preview']
        if cmd == 'reconstruct': argv += ['--normalizer', 'none', '--scans', d/'no_scans']   # labels/scan errors, fast
        yield case, argv, out

def test_fuzz_command_line(world):
    rng = random.Random(SEED)
    n = 0
    for case, argv, out in cli_cases(rng, world, 120):
        check_cli(case, argv, out); n += 1
    assert n == 120

MUTATIONS = ['wrong type', 'negative', 'huge', 'missing', 'null', 'list', 'nested']

def mutate(block:dict, rng:random.Random) -> tuple:
    "A copy of a params block with one value (possibly nested) made bad, and what was done."
    block = copy.deepcopy(block)
    keys = [k for k in block if k != 'profiles']
    if not keys: return block, 'empty'
    path, node = [rng.choice(keys)], block
    while isinstance(node[path[-1]], dict) and node[path[-1]] and rng.random() < 0.6:
        node = node[path[-1]]; path.append(rng.choice(list(node)))
    how = rng.choice(MUTATIONS)
    key = path[-1]
    if how == 'missing': del node[key]
    else: node[key] = {'wrong type': 'not-a-number' if not isinstance(node[key], str) else 12345, 'negative': -7, 'huge': 10 ** 12,
                       'null': None, 'list': [1, 'two'], 'nested': {'a': 1}}[how]
    return block, f"{'.'.join(map(str, path))}: {how}"

def test_fuzz_params(world, tmp_path):
    import importlib
    from facediv.core import FaceDivError, load_params
    schemas = {'render': ('render', 'RENDER_SCHEMA'), 'export': ('export', 'EXPORT_SCHEMA'), 'portraits': ('portraits', 'PORTRAITS_SCHEMA'),
               'complete': ('complete', 'COMPLETE_SCHEMA'), 'filter': ('filter', 'FILTER_SCHEMA'), 'reconstruct': ('reconstruct', 'RECONSTRUCT_SCHEMA'),
               'normalize': ('normalize', 'NORMALIZE_SCHEMA'), 'train_normalizer': ('train_normalizer', 'TRAIN_NORMALIZER_SCHEMA'),
               'train_step1': ('train_step1', 'TRAIN_STEP1_SCHEMA'), 'train_step2': ('train_step2', 'TRAIN_STEP2_SCHEMA'),
               'generate': ('generate', 'SAMPLES_SCHEMA'), 'translate': ('translate', 'TRANSLATE_SCHEMA'), 'sr': ('sr', 'SR_SCHEMA'),
               'assets': ('assets', 'ASSETS_SCHEMA'), 'classify': ('classify', 'CLASSIFY_SCHEMA'), 'evaluate': ('evaluate', 'EVALUATE_SCHEMA'),
               'audit': ('audit', 'AUDIT_SCHEMA'), 'perceive': ('perceive', 'PERCEIVE_SCHEMA')}
    params = yaml.safe_load((ROOT/'params.yaml').read_text())
    rng = random.Random(SEED + 1)
    n = 0
    for case in range(120):
        stage = rng.choice(sorted(schemas))
        module, name = schemas[stage]
        schema = getattr(importlib.import_module(f'facediv.{module}'), name)
        bad = dict(params)
        bad[stage], what = mutate(params[stage], rng)
        path = tmp_path/f'p{case}.yaml'
        path.write_text(yaml.safe_dump(bad))
        for profile in ('default', 'smoke'):
            try: load_params(stage, schema, path, profile=profile)
            except FaceDivError as e: assert e.problem and e.fix, f"case {case}: {stage} {what}: {e}"
            except Exception as e: raise AssertionError(f"case {case}: {stage} {what} ({profile}): {type(e).__name__}: {e}") from e
        n += 1
    assert n == 120

def corrupt(data:bytes, rng:random.Random) -> tuple:
    how = rng.choice(['truncate', 'flip', 'empty', 'garbage', 'zero tail', 'duplicate'])
    if how == 'truncate': return data[:rng.randint(0, max(len(data) - 1, 0))], how
    if how == 'flip':
        b = bytearray(data)
        for _ in range(rng.randint(1, 64)): i = rng.randrange(len(b)); b[i] ^= 1 << rng.randrange(8)
        return bytes(b), how
    if how == 'empty': return b'', how
    if how == 'garbage': return bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 4096))), how
    if how == 'zero tail': k = rng.randint(0, len(data)); return data[:k] + bytes(len(data) - k), how
    return data + data[:rng.randint(1, 1024)], how

def test_fuzz_files(world, tmp_path):
    from facediv.core import FaceDivError, load_npz
    from facediv.generate import load_model
    from facediv.assets import glb_face
    from facediv.photo import read_photo
    from facediv.cli import read_face
    readers = {'npz': lambda p: load_npz(p, 'portraits'), 'safetensors': lambda p: load_model(p),
               'glb': lambda p: glb_face(p, res=16), 'png': read_photo, 'jpg': read_photo, 'json': read_face}
    rng = random.Random(SEED + 2)
    n = 0
    for case in range(120):
        kind = rng.choice(sorted(readers))
        data, how = corrupt(world[kind].read_bytes(), rng)
        path = tmp_path/f'c{case}.{kind}'
        path.write_bytes(data)
        try: readers[kind](path)
        except FaceDivError as e: assert e.problem and e.fix, f"case {case}: {kind} {how}: {e}"
        except Exception as e: raise AssertionError(f"case {case}: a {how} {kind} raised {type(e).__name__}: {e}") from e
        n += 1
    assert n == 120
