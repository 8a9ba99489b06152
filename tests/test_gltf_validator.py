"""Exported GLB files pass the Khronos glTF-Validator with 0 errors (and 0 warnings).

Needs node and the validator installed from the committed lock file: `npm ci --prefix tools/gltf-validator`
(tools/test.sh does it). Without them the tests are skipped, saying which is missing.
"""
import json, shutil, subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
VALIDATOR = ROOT/'tools'/'gltf-validator'

def validate(path:Path) -> dict:
    "The validator's JSON report of `path`."
    if shutil.which('node') is None: pytest.skip('node is not installed (needed to run the Khronos glTF-Validator)')
    if not (VALIDATOR/'node_modules'/'gltf-validator').is_dir():
        pytest.skip('glTF-Validator not installed: run `npm ci --prefix tools/gltf-validator`')
    proc = subprocess.run(['node', str(VALIDATOR/'validate.js'), str(path)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)

def assert_clean(report:dict):
    issues = report['issues']
    summary = [f"{m['code']} ({m['severity']}) at {m.get('pointer', '?')}: {m['message']}" for m in issues['messages'][:20]]
    assert issues['numErrors'] == 0, '\n'.join(summary)
    assert issues['numWarnings'] == 0, '\n'.join(summary)
    assert report['info']['version'] == '2.0'

def test_template_glb_is_valid(tmp_path):
    from facediv.export import export_glb, template_asset
    report = validate(export_glb(template_asset(texture_res=64), tmp_path/'template.glb'))
    assert_clean(report)
    info = report['info']
    assert (info['materialCount'], info['drawCallCount'], info['hasMorphTargets'], info['hasTextures']) == (9, 9, True, True)

def test_full_featured_glb_is_valid(tmp_path):
    "Identity, expression weights, specular (KHR_materials_specular), displacement normals, custom part textures."
    from facediv.export import FaceAsset, PartTexture, export_glb
    rng = np.random.default_rng(0)
    res = 32
    asset = FaceAsset(identity=rng.normal(size=100), expression={'jawOpen': 0.3, 'mouthSmile_L': 0.5},
                      albedo=rng.uniform(size=(2, res, res, 3)), roughness=rng.uniform(0.3, 0.7, (2, res, res)),
                      specular=rng.uniform(size=(2, res, res)), displacement=rng.normal(0, 0.01, (2, res, res)),
                      parts={'teeth': PartTexture(rng.uniform(size=(16, 16, 3)), roughness=rng.uniform(size=(16, 16)))},
                      name='face_0001')
    report = validate(export_glb(asset, tmp_path/'face.glb'))
    assert_clean(report)
    assert 'KHR_materials_specular' in report['info']['extensionsUsed']
    # the faster encodings: JPEG base colour, one encoder thread, PNG level 0; morph targets carry normals
    from facediv.export import TextureEncoding
    for enc in (TextureEncoding(base_colour='jpeg', threads=1), TextureEncoding(png_level=0)):
        report = validate(export_glb(asset, tmp_path/'face_fast.glb', encoding=enc))
        assert_clean(report)
    blob = (tmp_path/'face_fast.glb').read_bytes()
    gltf = json.loads(blob[20:20 + int.from_bytes(blob[12:16], 'little')])     # the JSON chunk after the 12-byte header
    assert {i['mimeType'] for i in gltf['images']} == {'image/png'}
    targets = gltf['meshes'][0]['primitives'][0]['targets']
    assert len(targets) == 53 and all(set(t) == {'POSITION', 'NORMAL'} for t in targets)
