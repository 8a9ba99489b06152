"""A complete generated asset (facediv.assets: generate → translate → SR → export) is valid in every format.

GLB: loads in trimesh and pygltflib (9 materials, 53 named morph targets, KHR_materials_specular) and passes the
Khronos glTF-Validator with 0 errors and 0 warnings (skipped, saying why, only when node or the validator is
missing: `npm ci --prefix tools/gltf-validator`). OBJ: loads in trimesh. USD: opens with Pixar's library
(skipped when usd-core is not installed). Models are tiny ones built here; nothing from data/ or models/.
"""
import json, os
from pathlib import Path

import numpy as np
import pytest
import torch

from test_gltf_validator import assert_clean, validate

torch.set_num_threads(1)

@pytest.fixture(scope='module')
def asset_dir(tmp_path_factory):
    "One exported asset made with tiny translators, a tiny SR network and a tiny generator."
    from facediv.template import uv_raster
    from facediv.maps import procedural_pairs
    from facediv.translate import fit_roughness, load_translators, save_translator, train_translator
    from facediv.sr import load_sr, save_sr, train_sr
    from facediv.testing import tiny_generator
    from facediv.generate import generate
    from facediv.assets import checkpoint_hashes, export_face, make_asset
    tmp = tmp_path_factory.mktemp('asset')
    r = uv_raster(32)
    pairs = procedural_pairs(3, 32)
    for kind in ('specular', 'displacement'):
        model, meta, _ = train_translator(kind, pairs, {'channels': 4, 'levels': 1}, {'steps': 3, 'batch': 2, 'crop': 16}, progress=False)
        if kind == 'specular': meta['roughness_fit'] = fit_roughness(pairs['specular'], pairs['roughness'], r.mask)
        save_translator(model, meta, tmp/'translate')
    save_sr(*train_sr(pairs, {'channels': 4, 'blocks': 1}, {'steps': 3, 'batch': 2, 'crop': 16}, progress=False)[:2], tmp/'sr')
    model = tiny_generator(tmp/'gan')
    face = generate(n=1, seed=7, mesh=True, model=model, ethnicity='East African', age='50-54', gender='female')
    asset, info = make_asset(face, 0, 128, load_translators(tmp/'translate'), load_sr(tmp/'sr'), seed=7, name='face_7')
    formats = ['glb', 'obj'] + (['usd'] if _has_usd() else [])
    export_face(asset, tmp/'assets', formats, info, checkpoint_hashes({'generator': model}))
    return tmp/'assets'/'face_7'

def _has_usd() -> bool:
    try: import pxr  # noqa: F401
    except ImportError: return False
    return True

def test_glb_loads(asset_dir):
    import pygltflib, trimesh
    from facediv.export import EXPORT_MATERIALS
    scene = trimesh.load(asset_dir/'face_7.glb')
    assert len(scene.geometry) == len(EXPORT_MATERIALS)
    extent = scene.bounds[1] - scene.bounds[0]
    assert 0.1 < extent[1] < 0.5                                  # a head, in metres, +Y up
    g = pygltflib.GLTF2().load(str(asset_dir/'face_7.glb'))
    skin = next(m for m in g.meshes if m.name == 'skin')
    assert len(skin.extras['targetNames']) == 53 and 'jawOpen' in skin.extras['targetNames']
    assert all(len(p.targets) == 53 for p in skin.primitives)
    assert g.extensionsUsed == ['KHR_materials_specular']
    face = next(m for m in g.materials if m.name == 'face')
    assert face.normalTexture is not None and face.pbrMetallicRoughness.metallicRoughnessTexture is not None

def test_glb_passes_khronos_validator(asset_dir):
    report = validate(asset_dir/'face_7.glb')
    assert_clean(report)
    assert report['info']['hasMorphTargets'] and report['info']['materialCount'] == 9
    print(json.dumps({k: report['info'][k] for k in ('materialCount', 'drawCallCount', 'totalVertexCount', 'totalTriangleCount')}))

def test_obj_loads(asset_dir):
    import trimesh
    scene = trimesh.load(asset_dir/'obj'/'face_7.obj')
    assert len(scene.geometry) == 9

def test_usd_opens(asset_dir):
    if not _has_usd(): pytest.skip('usd-core is not installed (pip install usd-core)')
    from pxr import Usd, UsdGeom, UsdShade
    stage = Usd.Stage.Open(str(asset_dir/'usd'/'face_7.usda'))
    assert UsdGeom.GetStageUpAxis(stage) == 'Y' and UsdGeom.GetStageMetersPerUnit(stage) == 1.0
    meshes = [p for p in stage.Traverse() if p.IsA(UsdGeom.Mesh)]
    assert len(meshes) == 9
    assert all(UsdShade.MaterialBindingAPI(p).ComputeBoundMaterial()[0] for p in meshes)
    from pxr import UsdSkel
    from facediv.export import check_usd
    assert check_usd(asset_dir/'usd'/'face_7.usda') == []                  # USD's validators (what usdchecker runs): no error
    skin = UsdSkel.BindingAPI(stage.GetPrimAtPath('/face_7/skin/face'))
    assert len(skin.GetBlendShapesAttr().Get()) >= 40 and skin.GetSkeleton().GetPath() == '/face_7/skeleton'

def test_manifest(asset_dir):
    man = json.loads((asset_dir/'manifest.json').read_text())
    assert man['labels'] == {'ethnicity': 'East African', 'age': '50-54', 'gender': 'female'}
    assert man['seed'] == 7 and len(man['checkpoints_sha256']['generator']) == 64
    on_disk = {str(p.relative_to(asset_dir)): p.stat().st_size for p in asset_dir.rglob('*') if p.is_file() and p.name != 'manifest.json'}
    assert man['files'] == on_disk
    assert 'MIT' in man['license'] and (asset_dir/'LICENSE-ICT-FaceKit.txt').exists()

def test_turntable_from_glb(asset_dir, tmp_path):
    from facediv.assets import save_turntable, turntable
    frames = turntable(asset_dir/'face_7.glb', n=3, size=64, supersample=1)
    assert frames.shape == (3, 64, 64, 3) and frames.std() > 5  # a head, not a blank image
    png, gif = save_turntable(frames, tmp_path/'t.png', tmp_path/'t.gif')
    assert png.stat().st_size > 0 and gif.stat().st_size > 0

def test_bad_inputs_leave_nothing(asset_dir, tmp_path):
    from facediv.core import FaceDivError, ParamsError
    from facediv.assets import export_face, skin_maps_at
    from facediv.export import FaceAsset
    asset = FaceAsset(name='x')
    with pytest.raises(ParamsError, match='unknown export format'): export_face(asset, tmp_path, ['fbx'])
    with pytest.raises(ParamsError, match='not a power of two'): skin_maps_at(np.zeros((1, 2, 8, 8, 3)), 1000)
    with pytest.raises(ParamsError, match='would not fit in memory'): skin_maps_at(np.zeros((1, 2, 8, 8, 3)), 1 << 15)
    # Unwritable places that stay unwritable for root too (CI runs as root, so file modes would prove nothing):
    # a path under a regular file, a path under a device, and /proc.
    a_file = tmp_path/'a_file'; a_file.write_text('x')
    for where in (a_file/'sub', '/dev/null/x', '/proc/facediv_out'):
        with pytest.raises(FaceDivError, match='cannot create output folder'): export_face(asset, where, ['glb'])
    assert list(tmp_path.iterdir()) == [a_file]                                                  # nothing half-written
