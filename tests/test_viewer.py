"""The browser viewer in headless Chromium: the page loads a generated GLB, an attribute change updates it in place,
expression sliders move the morph targets, and without a model the template is shown with a banner.
Needs chromium + chromedriver (Debian: apt-get install chromium chromium-driver) and selenium; skipped otherwise.
Set FACEDIV_SCREENSHOT_DIR to keep the screenshots."""
import os, shutil, time
from pathlib import Path

import pytest

CHROMIUM = next((p for p in map(shutil.which, ('chromium', 'chromium-browser', 'google-chrome')) if p), None)
DRIVER = shutil.which('chromedriver')
if CHROMIUM is None or DRIVER is None:
    pytest.skip('headless Chromium test: chromium/chromedriver not installed (apt-get install chromium chromium-driver)', allow_module_level=True)
webdriver = pytest.importorskip('selenium.webdriver', reason='headless Chromium test: selenium not installed (pip install selenium)')
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import Select
from selenium.common.exceptions import TimeoutException

from test_cli import tiny_model

@pytest.fixture(scope='module')
def browser():
    opts = webdriver.ChromeOptions()
    for a in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
              '--window-size=1280,800'):
        opts.add_argument(a)
    opts.binary_location = CHROMIUM
    d = webdriver.Chrome(options=opts, service=Service(DRIVER))
    d.set_page_load_timeout(600); d.set_script_timeout(600)    # software WebGL on 2 busy cores can stall the renderer
    yield d
    d.quit()

def status(d):
    "The page's window.facedivStatus; {} while the renderer is too busy to answer (software WebGL under load)."
    try: return d.execute_script('return window.facedivStatus || null') or {}
    except TimeoutException: return {}

def canvas_shows_head(d, shot) -> dict:
    "Crop the screenshot to the WebGL canvas: the share of pixels unlike the background (its corner) and their spread."
    import numpy as np
    from PIL import Image
    r = d.execute_script("const c = document.querySelector('canvas').getBoundingClientRect(); "
                         "return [c.left * devicePixelRatio, c.top * devicePixelRatio, c.width * devicePixelRatio, c.height * devicePixelRatio];")
    x, y, w, h = (int(round(v)) for v in r)
    img = np.asarray(Image.open(shot).convert('RGB'), np.float32)[y:y + h, x:x + w]
    bg = np.median(np.concatenate([img[:8, :8].reshape(-1, 3), img[:8, -8:].reshape(-1, 3)]), 0)
    head = np.abs(img - bg).max(-1) > 12                                   # pixels the model drew over the background
    return {'coverage': float(head.mean()), 'std': float(img[head].std()) if head.any() else 0.0, 'size': (w, h)}

def wait_for(d, pred, timeout=120):
    t = time.time()
    while time.time() - t < timeout:
        st = status(d)
        if st.get('state') == 'error': raise AssertionError(f"viewer error: {st.get('error')}")
        if pred(st): return st
        time.sleep(0.1)
    raise AssertionError(f'viewer did not get there in {timeout} s: {status(d)}')

def keep(path:Path):
    if os.environ.get('FACEDIV_SCREENSHOT_DIR'):
        shutil.copy(path, Path(os.environ['FACEDIV_SCREENSHOT_DIR'])/path.name)

def test_viewer_generates_and_poses(tmp_path, browser):
    from facediv.viewer import start_server
    server, url = start_server(tiny_model(tmp_path/'tiny'), texture_res=64)
    try:
        t = time.time()
        browser.get(url)
        st = wait_for(browser, lambda s: s.get('state') == 'ready' and s.get('loads') == 1)
        print(f'first face in the browser after {time.time() - t:.1f} s (GLB load {st["lastLoadMs"]} ms)')
        assert 'ethnicity=Southern+European' in st['url'] and st['morphMeshes'] >= 1
        assert server.app.stats['generated'] == 1
        assert browser.find_element('id', 'banner').get_attribute('hidden') is not None      # a model: no banner
        before = browser.execute_script("let p = null; window.facediv.scene.traverse(o => { if (o.isMesh && o.material.name === 'face' && !p) "
                                        "p = Array.from(o.geometry.attributes.position.array.slice(0, 30)); }); return p;")
        Select(browser.find_element('id', 'ethnicity')).select_by_value('East African')
        st = wait_for(browser, lambda s: s.get('state') == 'ready' and s.get('updates') == 1)
        # the fast path: the head on screen got new positions and textures (/api/face.bin), no new GLB
        assert 'ethnicity=East+African' in st['url'] and st['loads'] == 1 and server.app.stats['updates'] == 1
        after = browser.execute_script("let p = null; window.facediv.scene.traverse(o => { if (o.isMesh && o.material.name === 'face' && !p) "
                                       "p = Array.from(o.geometry.attributes.position.array.slice(0, 30)); }); return p;")
        assert max(abs(a - b) for a, b in zip(before, after)) > 1e-5
        print(f"attribute change drawn after {st['lastUpdateMs']} ms (server {st['lastUpdateServerS']} s)")
        # software WebGL lights with the room's spherical harmonics; a local page gets RGBA pixels, put into the skin
        # texture on screen: the server's bytes for this face, then refilled in place (the same texture) by the next change
        assert st['lighting'] == ('probe' if st['softwareGL'] else 'room') and st['textures'] == 'raw'
        face_map = ("let t = null; window.facediv.scene.traverse(o => { if (o.isMesh && o.material.name === 'face' && !t) t = o.material.map; });"
                    "return [Boolean(t.isDataTexture), t.uuid, Array.from(t.image.data.slice(0, 256))];")
        is_data, uuid, pixels = browser.execute_script(face_map)
        from facediv.viewer import parse_face_query, read_update
        req = parse_face_query({'ethnicity': 'East African', 'age': '30-34', 'gender': 'female', 'seed': '0', 'psi': '1'})
        _, blobs = read_update(server.app.update(req, 'raw'))                    # cached: what the page was sent
        assert is_data and pixels == list(blobs['face/albedo'][:256])
        browser.execute_script("const s = document.getElementById('seed'); s.value = 5; s.dispatchEvent(new Event('change'));")
        wait_for(browser, lambda s: s.get('state') == 'ready' and s.get('updates') == 2)
        _, uuid2, pixels2 = browser.execute_script(face_map)
        assert uuid2 == uuid and pixels2 != pixels
        # an expression slider sets the morph-target weight on the loaded head (no request)
        browser.execute_script("const s = document.querySelector('#expressions input[data-name=jawOpen]');"
                               "s.value = 0.9; s.dispatchEvent(new Event('input'));")
        w = browser.execute_script("let w = null; window.facediv.scene.traverse(o => { if (o.morphTargetDictionary && "
                                   "o.morphTargetDictionary.jawOpen !== undefined && w === null) w = o.morphTargetInfluences[o.morphTargetDictionary.jawOpen]; });"
                                   "return w;")
        assert abs(w - 0.9) < 1e-6 and server.app.stats['glb_requests'] == 1
        href = browser.find_element('id', 'download').get_attribute('href')
        assert 'download=1' in href and 'East+African' in href
        time.sleep(0.5)
        shot = tmp_path/'viewer_model.png'
        browser.save_screenshot(str(shot))
        seen = canvas_shows_head(browser, shot)                 # the canvas, not the side panel, must show a shaded head
        assert 0.03 < seen['coverage'] < 0.9 and seen['std'] > 8, seen
        keep(shot)
    finally: server.shutdown(); server.server_close()

def test_viewer_without_model_shows_template(tmp_path, browser):
    from facediv.viewer import start_server
    server, url = start_server(None, texture_res=64, missing_model='models/train_step2/model.safetensors')
    try:
        browser.get(url)
        wait_for(browser, lambda s: s.get('state') == 'ready' and s.get('loads') == 1)
        banner = browser.find_element('id', 'banner')
        assert banner.get_attribute('hidden') is None and 'dvc repro train_step2' in banner.text
        assert browser.find_element('id', 'ethnicity').get_attribute('disabled') is not None
        shot = tmp_path/'viewer_template.png'
        browser.save_screenshot(str(shot))
        seen = canvas_shows_head(browser, shot)                 # the template head is drawn behind the banner
        assert 0.03 < seen['coverage'] < 0.9 and seen['std'] > 8, seen
        keep(shot)
    finally: server.shutdown(); server.server_close()

def test_viewer_photo_upload(tmp_path, browser):
    "Choose a photo: its head is shown with the photo's labels; an age change edits that person; a non-image is refused."
    from PIL import Image
    from skimage import data
    from facediv.testing import synthetic_pipeline
    from facediv.viewer import start_server
    photo = tmp_path/'astronaut.jpg'
    Image.fromarray(data.astronaut()).save(photo, quality=92)
    standin = {'scans': synthetic_pipeline(tmp_path/'pipe', res=32, n_scans=12)/'scans', 'normalizer': None, 'translators': None, 'sr': None}
    server, url = start_server(tiny_model(tmp_path/'tiny'), texture_res=64, photo_models=standin)
    try:
        browser.get(url)
        wait_for(browser, lambda s: s.get('state') == 'ready' and s.get('loads') == 1)
        t = time.time()
        browser.find_element('id', 'photo').send_keys(str(photo))                    # what choosing a file does
        st = wait_for(browser, lambda s: s.get('state') == 'ready' and s.get('loads') == 2 and s.get('photo'), timeout=300)
        print(f'photo to head in the browser: {time.time() - t:.1f} s (upload + reconstruction {st["photoMs"]} ms)')
        assert f"photo={st['photo']['id']}" in st['url'] and server.app.stats['photos'] == 1
        labels = st['photo']['labels']
        assert Select(browser.find_element('id', 'age')).first_selected_option.get_attribute('value') == labels['age']
        assert browser.find_element('id', 'seed').get_attribute('disabled') is not None   # seed and ψ do not apply to a photo
        assert not browser.find_element('id', 'photo-note').get_attribute('hidden') and 'from the photo' in browser.find_element('id', 'photo-note').text
        Select(browser.find_element('id', 'age')).select_by_value('70-74')
        st = wait_for(browser, lambda s: s.get('state') == 'ready' and s.get('loads') == 3)
        assert 'age=70-74' in st['url'] and server.app.stats['photo_edits'] == 1
        href = browser.find_element('id', 'download').get_attribute('href')
        assert 'photo=' in href and 'download=1' in href
        shot = tmp_path/'viewer_photo.png'
        browser.save_screenshot(str(shot)); keep(shot)
        bad = tmp_path/'notes.jpg'; bad.write_text('not an image')
        browser.find_element('id', 'photo').send_keys(str(bad))
        t = time.time()                         # wait_for raises on an error state; here the error is the point
        while time.time() - t < 60 and status(browser).get('state') != 'error': time.sleep(0.1)
        st = status(browser)
        assert st.get('state') == 'error' and 'not a readable image' in st.get('error', ''), st
        browser.find_element('id', 'clear-photo').click()                               # back to generated faces
        st = wait_for(browser, lambda s: s.get('state') == 'ready' and not s.get('photo'))
        assert 'photo=' not in st['url']
    finally: server.shutdown(); server.server_close()
