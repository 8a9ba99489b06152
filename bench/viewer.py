"""Benchmark of the viewer: milliseconds from a change in the page to the new face drawn, in headless Chromium.

The page is served by facediv.viewer on 127.0.0.1 with the trained generator (models/train_step2) and driven with
selenium. Each change sets a new seed (a new face) through the seed box's `change` event, the way a user does;
`viewer.js` stamps the time from the event to the frame drawn (it renders and reads back one pixel, so the GPU is
done) and splits it into fetch, decode, apply and draw. Side by side, in the same browser and run:
  before   a new GLB per change (`/api/face.glb`, parsed by three.js's GLTFLoader, the old head replaced), plus the
           120 ms debounce the page used to wait before asking
  after    `/api/face.bin`: positions, normals and preview JPEGs put into the head on screen, no debounce
  old page the code before this work (--base, served by its own process): its page waited 120 ms, fetched a GLB,
           drew continuously with MSAA and all 53 morph targets; timed in the page from the event to two animation
           frames after the new head was added (so the frame with it was drawn)
Software WebGL (SwiftShader) draws the frames here; a GPU browser draws faster. Writes bench/results/viewer.json.
Not a test.

    python bench/viewer.py                 # 15 changes each
    python bench/viewer.py --n 30 --window 1280,800
"""
import argparse, json, os, platform, shutil, statistics, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'bench'))
from asset import BASE, base_checkout  # noqa: E402   (the same `before` code as the asset benchmark)
OLD_DEBOUNCE_MS = 120   # viewer.js before the fast path waited this long after a change before fetching

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

def measure(d, n:int, path:str, seed0:int) -> list:
    "Per change: the page's own timings (ms) for `n` new seeds through `path` ('update' or 'load')."
    rows = []
    for i in range(n):
        key = 'updates' if path == 'update' else 'loads'
        done = d.execute_script(f'return window.facedivStatus.{key} || 0')
        d.execute_script("const s = document.getElementById('seed'); s.value = arguments[0];"
                         + ("s.dispatchEvent(new Event('change'));" if path == 'update' else 'window.facediv.load();'), seed0 + i)
        st = wait(d, f"s.state === 'ready' && (s.{key} || 0) > {done}")
        if path == 'update': rows.append({'total': st['lastUpdateMs'], **{k: round(v, 1) for k, v in st['lastUpdateParts'].items()},
                                          'server': 1000 * st['lastUpdateServerS']})
        else: rows.append({'total': st['lastLoadMs'] + OLD_DEBOUNCE_MS, 'load_and_draw': st['lastLoadMs'], 'debounce': OLD_DEBOUNCE_MS})
    return rows

OLD_PAGE_JS = '''const [seed, done] = arguments, s = window.facedivStatus, n0 = s.loads, t0 = performance.now();
const el = document.getElementById('seed'); el.value = seed; el.dispatchEvent(new Event('change'));
(function poll() { if (s.loads > n0 && s.state === 'ready') requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now() - t0)));
                   else setTimeout(poll, 1); })();'''

def old_page(d, model:str, base:str, n:int, texture_res:int) -> list:
    "ms per seed change of the page and server of commit `base` (a clean export run in its own process)."
    import subprocess
    code = base_checkout(base)
    proc = subprocess.Popen([sys.executable, '-c', 'import sys, time; from facediv.viewer import start_server; '
                             f's, u = start_server({model!r}, texture_res={texture_res}); print(u, flush=True); time.sleep(10 ** 6)'],
                            stdout=subprocess.PIPE, text=True, cwd=code, env={**os.environ, 'PYTHONPATH': str(code)})
    try:
        d.get(proc.stdout.readline().strip())
        wait(d, "s.state === 'ready' && s.loads === 1", timeout=300)
        for i in range(2): d.execute_async_script(OLD_PAGE_JS, 30_000 + i)                  # warm
        return [{'total': round(d.execute_async_script(OLD_PAGE_JS, 3000 + i), 1)} for i in range(n)]
    finally: proc.kill()

def summary(rows:list) -> dict:
    return {k: round(statistics.median(r[k] for r in rows), 1) for k in rows[0]}

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--n', type=int, default=15, help='changes per path')
    ap.add_argument('--model', default=str(ROOT/'models/train_step2/model.safetensors'))
    ap.add_argument('--texture_res', type=int, default=256, help='preview skin texture size')
    ap.add_argument('--window', default='1280,800')
    ap.add_argument('--base', default=BASE, help='git revision of the old page and server')
    ap.add_argument('--out', default=str(ROOT/'bench/results/viewer.json'))
    args = ap.parse_args()
    if not Path(args.model).exists(): raise SystemExit(f'{args.model} not found: run `dvc repro train_step2` first')
    from facediv.viewer import start_server
    from facediv.core import save_json
    server, url = start_server(args.model, texture_res=args.texture_res, maps_models={})
    d = browser(args.window)
    try:
        d.get(url)
        wait(d, "s.state === 'ready' && s.loads === 1", timeout=300)
        measure(d, 2, 'update', 10_000)                                           # warm both paths (shaders, caches)
        measure(d, 2, 'load', 20_000)
        after = measure(d, args.n, 'update', 1000)                               # fresh seeds: nothing cached on the server
        before = measure(d, args.n, 'load', 2000)
        old = old_page(d, args.model, args.base, args.n, args.texture_res)
    finally:
        d.quit(); server.shutdown(); server.server_close()
    rec = {'machine': {'platform': platform.platform(), 'cpu_count': os.cpu_count(), 'python': platform.python_version()},
           'what': 'ms from a seed change in the page to the new face drawn, headless Chromium (SwiftShader), median over changes',
           'goal': '<= 100 ms median per change', 'window': args.window, 'texture_res': args.texture_res, 'n': args.n,
           'old_page_median_ms': summary(old), 'before_median_ms': summary(before), 'after_median_ms': summary(after),
           'speedup': round(summary(old)['total'] / summary(after)['total'], 1), 'old_page': old, 'before': before, 'after': after}
    save_json(rec, args.out)
    print(f"old page: {rec['old_page_median_ms']['total']:.0f} ms; this page with a GLB per change + {OLD_DEBOUNCE_MS} ms debounce: {rec['before_median_ms']['total']:.0f} ms; "
          f"after (binary update): {rec['after_median_ms']['total']:.0f} ms {rec['after_median_ms']}; ×{rec['speedup']}")
    print(f'wrote {args.out}')

if __name__ == '__main__':
    main()
