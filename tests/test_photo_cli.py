"""`facediv reconstruct` as a user runs it: photos → asset folders, bad photos reported and skipped, `edit` of the result.

Stand-ins keep it offline and quick: synthetic completion scans and a tiny generator built here (`facediv.testing`),
no normaliser (`--normalizer none`), no translators or SR. The photo is scikit-image's astronaut (NASA, public
domain), as a PNG file; the bad ones are made from it.
"""
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from test_cli import facediv, tiny_model
from test_gltf_validator import assert_clean, validate

LABELS = ('--ethnicity', 'Northern European', '--age', '35-39', '--gender', 'female')

@pytest.fixture(scope='module')
def photos(tmp_path_factory) -> dict:
    "{kind: path} of a good photo and bad ones made from it."
    from skimage import data
    d = tmp_path_factory.mktemp('photos')
    a = data.astronaut()
    paths = {k: d/f'{k}.{ext}' for k, ext in (('astronaut', 'png'), ('mirrored', 'jpg'), ('grey', 'png'), ('two_faces', 'png'),
                                                ('tiny', 'png'), ('no_face', 'png'), ('truncated', 'jpg'), ('text', 'jpg'))}
    Image.fromarray(a).save(paths['astronaut'])
    Image.fromarray(a[:, ::-1]).save(paths['mirrored'], quality=92)
    Image.fromarray(a).convert('L').save(paths['grey'])
    Image.fromarray(np.concatenate([a, a], 1)).save(paths['two_faces'])
    Image.fromarray(a).resize((160, 160)).save(paths['tiny'])
    Image.fromarray(np.full((300, 300, 3), (200, 150, 120), np.uint8)).save(paths['no_face'])
    paths['truncated'].write_bytes(paths['mirrored'].read_bytes()[:4000])
    paths['text'].write_text('not an image')
    return paths

@pytest.fixture(scope='module')
def scans(tmp_path_factory) -> Path:
    from facediv.testing import synthetic_pipeline
    return synthetic_pipeline(tmp_path_factory.mktemp('pipe'), res=32, n_scans=12)/'scans'

def standins(scans): return ('--normalizer', 'none', '--scans', scans, '--translators', 'none', '--sr', 'none')

def test_reconstruct_writes_a_valid_asset(tmp_path, photos, scans):
    r = facediv('reconstruct', photos['astronaut'], *LABELS, *standins(scans), '--format', 'glb,obj', '-o', tmp_path)
    assert r.returncode == 0, r.stderr
    face = tmp_path/'astronaut'
    for suffix in ('.glb', '.obj', '.json', '_preview.png', '_uv.npz'): assert (face/f'astronaut{suffix}').exists(), suffix
    rec = json.loads((face/'astronaut.json').read_text())
    assert rec['source'] == 'photo' and rec['labels'] == {'ethnicity': 'Northern European', 'age': '35-39', 'gender': 'female'}
    assert rec['estimated'] == {} and 0.05 < rec['photo_fraction'] < 0.95 and len(rec['photo_sha256']) == 1
    report = validate(face/'astronaut.glb')
    assert_clean(report)
    import pygltflib
    g = pygltflib.GLTF2().load(str(face/'astronaut.glb'))
    skin = next(m for m in g.meshes if m.name == 'skin')
    assert len(skin.extras['targetNames']) == 53
    assert 'Northern European, 35-39, female; ' in r.stdout and 'of the face from the photo' in r.stdout and (tmp_path/'photo_faces.csv').exists()

def test_bad_photos_are_reported_and_skipped(tmp_path, photos, scans):
    order = ['grey', 'astronaut', 'two_faces', 'tiny', 'no_face', 'truncated', 'text']
    r = facediv('reconstruct', *[photos[k] for k in order], photos['astronaut'].parent/'missing.png', *LABELS, *standins(scans), '-o', tmp_path)
    assert r.returncode == 1 and 'Traceback' not in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ['astronaut', 'photo_faces.csv']     # the good one is written
    for k, why in (('grey', 'greyscale'), ('two_faces', '2 faces found'), ('tiny', 'only 33 px'), ('no_face', 'no face found'),
                   ('truncated', 'not a readable image'), ('text', 'not a readable image'), ('missing', 'not found')):
        line = next((l for l in r.stderr.splitlines() if f'{k}.' in l and 'error:' in l), '')
        assert why in line, (k, r.stderr)
    assert r.stderr.count('fix:') == 7 and '7 of 8 failed' in r.stderr
    assert not list(tmp_path.glob('.*'))                                                     # nothing half-written

def test_same_person_fuses_photos(tmp_path, photos, scans):
    r = facediv('reconstruct', photos['astronaut'], photos['mirrored'], '--same-person', '--name', 'collins', *LABELS,
                *standins(scans), '-o', tmp_path)
    assert r.returncode == 0, r.stderr
    rec = json.loads((tmp_path/'collins'/'collins.json').read_text())
    assert len(rec['photos']) == 2 and abs(sum(rec['fused_weights']) - 1) < 1e-3
    assert not (tmp_path/'collins'/'collins.obj').exists()                                   # GLB only, by default

def test_edit_a_photo_face(tmp_path, photos, scans):
    model = tiny_model(tmp_path/'tiny')
    r = facediv('reconstruct', photos['astronaut'], *LABELS, *standins(scans), '--format', 'glb', '-o', tmp_path/'out')
    assert r.returncode == 0, r.stderr
    r = facediv('edit', tmp_path/'out'/'astronaut', '--age', '70-74', '--model', model, '--translators', 'none', '--sr', 'none', '--format', 'glb')
    assert r.returncode == 0, r.stderr
    older = tmp_path/'out'/'astronaut_age-70-74'
    rec = json.loads((older/'astronaut_age-70-74.json').read_text())
    assert rec['labels']['age'] == '70-74' and rec['edited_from'] == 'astronaut' and rec['source'] == 'photo'
    before = np.load(tmp_path/'out'/'astronaut'/'astronaut_uv.npz')['vertices']
    after = np.load(older/'astronaut_age-70-74_uv.npz')['vertices']
    assert before.shape == after.shape and np.isfinite(after).all()
    r = facediv('edit', older, '--gender', 'male', '--model', model, '--translators', 'none', '--sr', 'none', '--format', 'glb')
    assert r.returncode == 0, r.stderr                                                        # an edit of an edit
