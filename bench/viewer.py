"""Benchmark of the viewer: milliseconds from a change in the page to the new face drawn, in headless Chromium.

The page is served by facediv.viewer on 127.0.0.1 with the trained generator (models/train_step2) and driven with
selenium. Each change sets a new seed (a new face) through the seed box's `change` event, the way a user does, half
a second after the last one; `viewer.js` stamps the time from the event to the frame drawn (it renders and reads
back one pixel, so the GPU is done) and splits it into fetch, decode, apply and draw. The page waits for the face
itself, so no WebDriver round trip shares the cores while the server and the renderer work.

Pages, side by side in one run, in interleaved blocks (every variant's block of changes once per round, so slow drifts
of a shared machine fall on all of them alike):
  this page        the defaults: on software WebGL the room's spherical-harmonics light (a LightProbe), textures
                   without mipmaps, and RGBA textures from a server on the same machine
  with mipmaps     ?mipmaps=1: every texture's mip chain built at each upload and sampled trilinearly (a GPU's default)
  full resolution  ?scale=1: the canvas drawn at the display's resolution (software WebGL draws at 3/4 by default)
  room lighting    ?lighting=room: the prefiltered room environment (PMREM) a GPU browser gets
  jpeg textures    ?textures=jpeg: JPEG/PNG textures decoded in the page (what a remote page gets)
  previous page    the page and server of --previous (their own process, from a clean export of that commit)
The page before any of this work (b6942b2: a GLB per change, 1,375 ms in the first run of this benchmark) is no
longer measured: its server cannot load today's generator (the model gained `basis_components`).
The two lightings, mipmaps against none and full against 3/4 resolution are also compared as pictures (the same
face, PSNR over the head; a 3/4-resolution canvas scaled up bilinearly, as the browser shows it) in
bench/results/viewer_lighting.png, viewer_mipmaps.png and viewer_scale.png. Both servers run in their own process, as `facediv view` does.
Software WebGL (SwiftShader) draws the frames here; a GPU browser draws faster. Writes bench/results/viewer.json.
Not a test.

    python bench/viewer.py                 # 3 rounds of 5 changes per variant
    python bench/viewer.py --rounds 4 --n 6 --window 1280,800
"""
import argparse, base64, io, json, os, platform, shutil, statistics, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'bench'))
from asset import base_checkout  # noqa: E402   (a clean export of a commit, as the asset benchmark makes it)
PREVIOUS = 'dd2eca8'    # the viewer as the last stop left it (139 ms: probe light, RGBA textures, part textures on a thread)
PAUSE_S = 0.5           # seconds between two changes, as a user clicks

def browser(window:str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    for a in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
              f'--window-size={window}'):
        opts.add_argument(a)
    opts.binary_location = next(p for p in map(shutil.which, ('chromium', 'chromium-browser', 'google-chrome')) if p)
    d = webdriver.Chrome(options=opts, service=Service(shutil.which('chromedriver')))
    d.set_script_timeout(300)
    return d

def wait(d, pred:str, timeout:float=120):
    t = time.time()
    while time.time() - t < timeout:
        st, ok = d.execute_script(f'const s = window.facedivStatus; return [s, Boolean({pred})];')   # one snapshot
        if st.get('state') == 'error': raise SystemExit(f"viewer error: {st.get('error')}")
        if ok: return st
        time.sleep(0.01)
    raise SystemExit(f'viewer did not get to {pred} in {timeout} s')

CHANGE_JS = '''const [seed, done] = arguments, s = window.facedivStatus, n0 = s.updates || 0, el = document.getElementById('seed');
el.value = seed; el.dispatchEvent(new Event('change'));
(function poll() { if (s.state === 'error' || (s.state === 'ready' && (s.updates || 0) > n0)) done(JSON.parse(JSON.stringify(s)));
                   else setTimeout(poll, 25); })();   // the page times itself: a slow poll only delays the report'''

def open_page(d, url:str):
    d.get(url)
    wait(d, "s.state === 'ready' && s.loads === 1", timeout=300)
    for i in range(2): d.execute_async_script(CHANGE_JS, 90_000 + i)             # warm: shaders, textures, caches

def measure(d, n:int, seed0:int) -> list:
    "The page's own timings (ms) of `n` changes to new seeds (nothing cached on the server)."
    rows = []
    for i in range(n):
        time.sleep(PAUSE_S)
        st = d.execute_async_script(CHANGE_JS, seed0 + i)
        if st.get('state') == 'error': raise SystemExit(f"viewer error: {st.get('error')}")
        rows.append({'total': st['lastUpdateMs'], **{k: round(v, 1) for k, v in st['lastUpdateParts'].items()},
                     'server': round(1000 * st['lastUpdateServerS'], 1)})
    return rows

def code_server(model:str, rev:str|None, texture_res:int):
    "(process, url) of the viewer server of commit `rev` (a clean export; None: this working tree) in its own process, as `facediv view` runs."
    code = ROOT if rev is None else base_checkout(rev)
    proc = subprocess.Popen([sys.executable, '-c', 'import sys, time; from facediv.viewer import start_server; '
                             f's, u = start_server({model!r}, texture_res={texture_res}, maps_models={{}}); print(u, flush=True); time.sleep(10 ** 6)'],
                            stdout=subprocess.PIPE, text=True, cwd=code, env={**os.environ, 'PYTHONPATH': str(code)})
    return proc, proc.stdout.readline().strip()

HEAD_JS = '''const done = arguments[0], f = window.facediv; f.drawNow(); done(f.renderer.domElement.toDataURL('image/png'));'''

def page_pictures(d, url:str, seed:int, out:Path, queries:tuple=('lighting=room', 'lighting=probe')) -> dict:
    "The same face on two pages (`queries`): PSNR (dB) and mean colour over the head's pixels, and a side-by-side PNG."
    import numpy as np
    from PIL import Image
    shots = {}
    for q in queries:
        open_page(d, f'{url}?{q}')
        d.execute_async_script(CHANGE_JS, seed)
        png = d.execute_async_script(HEAD_JS)
        shot = Image.open(io.BytesIO(base64.b64decode(png.split(',')[1]))).convert('RGB')
        if shots: shot = shot.resize(next(iter(shots.values())).shape[1::-1], Image.BILINEAR)   # a smaller canvas, as the page shows it
        shots[q] = np.asarray(shot).astype(np.float64)
    first, second = (shots[q] for q in queries)
    head = (first != first[0, 0]).any(-1) | (second != second[0, 0]).any(-1)            # not the plain background
    ys, xs = np.nonzero(head)
    crop = lambda a: a[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    Image.fromarray(np.concatenate([crop(first), crop(second)], 1).astype(np.uint8)).save(out)
    mse = ((first - second)[head] ** 2).mean()
    return {'seed': seed, 'pages': list(queries), 'psnr_db': round(float(10 * np.log10(255 ** 2 / mse)), 2), 'head_pixels': int(head.sum()),
            'mean_rgb': [first[head].mean(0).round(1).tolist(), second[head].mean(0).round(1).tolist()],
            'picture': str(out.relative_to(ROOT))}

def summary(rows:list) -> dict:
    return {k: round(statistics.median(r[k] for r in rows), 1) for k in rows[0]}

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--rounds', type=int, default=3, help='blocks of changes per variant, interleaved')
    ap.add_argument('--n', type=int, default=5, help='changes per block')
    ap.add_argument('--model', default=str(ROOT/'models/train_step2/model.safetensors'))
    ap.add_argument('--texture_res', type=int, default=256, help='preview skin texture size')
    ap.add_argument('--window', default='1280,800')
    ap.add_argument('--previous', default=PREVIOUS, help='git revision of the previous page and server')
    ap.add_argument('--out', default=str(ROOT/'bench/results/viewer.json'))
    args = ap.parse_args()
    if not Path(args.model).exists(): raise SystemExit(f'{args.model} not found: run `dvc repro train_step2` first')
    from facediv.core import save_json
    server, url = code_server(args.model, None, args.texture_res)
    previous, previous_url = code_server(args.model, args.previous, args.texture_res)
    variants = {'this page': url, 'with mipmaps': url + '?mipmaps=1', 'full resolution': url + '?scale=1', 'room lighting': url + '?lighting=room',
                'jpeg textures': url + '?textures=jpeg', 'previous page': previous_url}
    rows, d = {k: [] for k in variants}, browser(args.window)
    try:
        seed = 1000
        for r in range(args.rounds):
            for name, u in variants.items():
                open_page(d, u)
                rows[name] += measure(d, args.n, seed); seed += args.n
                print(f'round {r + 1}/{args.rounds} {name}: {summary(rows[name])}', flush=True)
        open_page(d, url)
        settings = d.execute_script('const s = window.facedivStatus; return {lighting: s.lighting, textures: s.textures, softwareGL: s.softwareGL, mipmaps: s.mipmaps, pixelScale: s.pixelScale}')
        lighting = page_pictures(d, url, 1234, ROOT/'bench/results/viewer_lighting.png')
        mipmaps = page_pictures(d, url, 1234, ROOT/'bench/results/viewer_mipmaps.png', ('mipmaps=1', 'mipmaps=0'))
        scale = page_pictures(d, url, 1234, ROOT/'bench/results/viewer_scale.png', ('scale=1', 'scale=0.75'))
    finally:
        d.quit(); server.kill(); previous.kill()
    med = {k: summary(v) for k, v in rows.items()}
    rec = {'machine': {'platform': platform.platform(), 'cpu_count': os.cpu_count(), 'python': platform.python_version()},
           'what': 'ms from a seed change in the page to the new face drawn, headless Chromium (SwiftShader), median over changes',
           'goal': '<= 100 ms median per change', 'window': args.window, 'texture_res': args.texture_res,
           'rounds': args.rounds, 'n_per_round': args.n, 'pause_s': PAUSE_S, 'previous': args.previous,
           'this_page_settings': settings, 'median_ms': med,
           'speedup_vs_previous': round(med['previous page']['total'] / med['this page']['total'], 2),
           'lighting': lighting, 'mipmaps': mipmaps, 'scale': scale, 'changes': rows}
    save_json(rec, args.out)
    print(json.dumps(rec['median_ms'], indent=1))
    print(f"this page {med['this page']['total']:.0f} ms vs previous {med['previous page']['total']:.0f} ms; "
          f"lighting PSNR {lighting['psnr_db']} dB, no mipmaps vs mipmaps PSNR {mipmaps['psnr_db']} dB, 3/4 vs full resolution PSNR {scale['psnr_db']} dB")
    print(f'wrote {args.out}')

if __name__ == '__main__':
    main()
