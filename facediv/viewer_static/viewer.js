// facediv viewer: the first face (and photos) as /api/face.glb -> three.js scene; later changes as /api/face.bin
// (positions, normals, skin textures) into the same mesh; expression sliders drive the GLB's morph targets.
// A photo (chosen or dropped) goes to /api/photo; its head is then shown, and the menus edit it.
import * as THREE from 'three';
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { RoomEnvironment } from 'three/addons/environments/RoomEnvironment.js';
import { LightProbeGenerator } from 'three/addons/lights/LightProbeGenerator.js';

const $ = (id) => document.getElementById(id);
const options = new URLSearchParams(location.search);   // ?lighting=room|probe, ?textures=raw|jpeg override the choices below
const status = window.facedivStatus = { state: 'starting', loads: 0, url: null, lastLoadMs: null, error: null, morphMeshes: 0, photo: null };
const expression = {};          // blendshape name -> weight, applied to every loaded head
let head = null, framed = false, generation = 0;

// Scene: PBR with a neutral room environment, orbit controls around the head.
const view = $('view');
// Multisampling is nearly free on a GPU but costs software WebGL (SwiftShader, llvmpipe) about 40 % of every frame.
function softwareGL() {
  const gl = document.createElement('canvas').getContext('webgl2'), ext = gl?.getExtension('WEBGL_debug_renderer_info');
  const name = ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : '';
  gl?.getExtension('WEBGL_lose_context')?.loseContext();
  return /swiftshader|llvmpipe|softpipe|software/i.test(name);
}
status.softwareGL = softwareGL();
const renderer = new THREE.WebGLRenderer({ antialias: !status.softwareGL, preserveDrawingBuffer: true });
// Software WebGL shades every pixel on the CPU: it draws at 3/4 of the display's resolution (the browser scales the
// canvas up), 43 → 34 ms a frame (bench/viewer.py, which also shows what that costs the picture). `?scale=1` overrides.
status.pixelScale = Math.min(2, Math.max(0.25, Number(options.get('scale')) || (status.softwareGL ? 0.75 : 1)));
renderer.setPixelRatio(window.devicePixelRatio * status.pixelScale);
renderer.toneMapping = THREE.NeutralToneMapping;
view.appendChild(renderer.domElement);
const scene = new THREE.Scene();
scene.background = new THREE.Color(0xf4f4f2);
// Image-based light from a neutral room. On a GPU: the prefiltered environment (PMREM), diffuse and glossy. On
// software WebGL: the room's spherical-harmonics irradiance (a LightProbe): a frame draws in about two thirds of
// the time (bench/viewer.py), and what it leaves out is the skin's soft glossy reflection of the room.
status.lighting = options.get('lighting') || (status.softwareGL ? 'probe' : 'room');
// Mipmaps: software WebGL builds every texture's mip chain on the CPU at each upload (14 ms of a change) and samples
// trilinearly; the skin is magnified in this view, so it draws the base level only. `?mipmaps=1|0` overrides.
status.mipmaps = options.has('mipmaps') ? options.get('mipmaps') !== '0' : !status.softwareGL;
function useMipmaps(t) {
  if (status.mipmaps || !t) return t;
  if (t.generateMipmaps || t.minFilter !== THREE.LinearFilter) { t.generateMipmaps = false; t.minFilter = THREE.LinearFilter; t.needsUpdate = true; }
  return t;
}
if (status.lighting === 'probe') {
  const cube = new THREE.WebGLCubeRenderTarget(64, { type: THREE.HalfFloatType });   // half float: the room's lamps exceed 1
  new THREE.CubeCamera(0.1, 100, cube).update(renderer, new RoomEnvironment());
  scene.add(await LightProbeGenerator.fromCubeRenderTarget(renderer, cube));
  cube.dispose();
} else scene.environment = new THREE.PMREMGenerator(renderer).fromScene(new RoomEnvironment(), 0.04).texture;
const key = new THREE.DirectionalLight(0xffffff, 1.2); key.position.set(0.5, 0.6, 1.0); scene.add(key);
const camera = new THREE.PerspectiveCamera(25, 1, 0.01, 20);
camera.position.set(0, 0.1, 1.0);
const controls = new OrbitControls(camera, renderer.domElement);
controls.enableDamping = true;
function resize() {
  const w = view.clientWidth, h = view.clientHeight;
  renderer.setSize(w, h); camera.aspect = w / Math.max(h, 1); camera.updateProjectionMatrix();
}
// Draw on demand (a camera move, a new face, an expression), not every frame: software WebGL spends a whole core
// on idle redraws otherwise, and a change waits behind them.
let needsRender = true;
const requestRender = () => { needsRender = true; };
controls.addEventListener('change', requestRender);
renderer.setAnimationLoop(() => { if (controls.update() || needsRender) { needsRender = false; renderer.render(scene, camera); } });
function drawNow() {  // render the current state and wait until the GPU has drawn it (what a latency measurement needs)
  renderer.render(scene, camera); needsRender = false;
  const gl = renderer.getContext(); gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(4));
}
window.addEventListener('resize', () => { resize(); requestRender(); }); resize();

function setStatus(state, text, error = null) {
  status.state = state; status.error = error;
  $('status').textContent = text; $('status').className = state === 'error' ? 'error' : '';
}

// The 53 morph targets cost the vertex shader a loop over all of them for every vertex, every frame (half of a
// software-WebGL frame), even at weight 0. A neutral face therefore draws without them: they are detached from
// the geometry while every weight is 0 and attached again when a slider moves (both shader variants are cached).
function setMorphs(o, on) {
  const g = o.geometry;
  if (!g.userData.morphs) g.userData.morphs = g.morphAttributes;
  const want = on ? g.userData.morphs : {};
  if (g.morphAttributes !== want) { g.morphAttributes = want; o.material.needsUpdate = true; }
}

function applyExpression() {
  let n = 0;
  const active = Object.values(expression).some((w) => w !== 0);
  head?.traverse((o) => {
    if (!o.morphTargetDictionary || !o.morphTargetInfluences) return;
    n += 1;
    for (const [name, w] of Object.entries(expression)) {
      const k = o.morphTargetDictionary[name];
      if (k !== undefined) o.morphTargetInfluences[k] = w;
    }
    setMorphs(o, active);
  });
  status.morphMeshes = n; status.morphsAttached = active;
  requestRender();
}

function frame(obj) {
  // Aim at the face (upper part of the bounding box), at a distance that fits the head and neck.
  const box = new THREE.Box3().setFromObject(obj), size = box.getSize(new THREE.Vector3());
  const c = box.getCenter(new THREE.Vector3()); c.y += 0.12 * size.y;
  const r = 0.5 * Math.max(size.x, size.y);
  controls.target.copy(c);
  camera.position.set(c.x, c.y, c.z + 1.15 * r / Math.tan(THREE.MathUtils.degToRad(camera.fov / 2)));
  camera.near = r / 50; camera.far = r * 50; camera.updateProjectionMatrix();
}

function faceUrl() {
  const q = new URLSearchParams({ ethnicity: $('ethnicity').value, age: $('age').value, gender: $('gender').value,
                                  seed: String(Math.max(0, parseInt($('seed').value || '0', 10))), psi: $('psi').value });
  if (status.photo) q.set('photo', status.photo.id);
  return '/api/face.glb?' + q.toString();
}

function photoMode(photo) {
  // With a photo the menus edit that person (they need a trained generator); seed and truncation do not apply.
  status.photo = photo;
  const trained = Boolean(status.info?.trained);
  for (const kind of ['ethnicity', 'age', 'gender']) {
    if (photo) $(kind).value = photo.labels[kind];
    $(kind).disabled = !trained;
  }
  for (const id of ['seed', 'random', 'psi']) $(id).disabled = Boolean(photo) || !trained;
  $('clear-photo').hidden = !photo; $('photo-note').hidden = !photo;
  if (photo) {
    const est = Object.entries(photo.estimated).map(([k, v]) => `${k}: ${v}`).join('; ');
    $('photo-note').textContent = `${Math.round(100 * photo.photo_fraction)} % of the face from the photo, the rest completed` +
      (photo.glasses ? '; glasses left out' : '') + (est ? `. Estimated labels (change them in the menus): ${est}` : '');
  }
}

async function upload(file) {
  if (!file) return;
  if (file.size > (status.info?.max_upload ?? Infinity)) {
    setStatus('error', `error: the photo is ${(file.size / 1e6).toFixed(0)} MB — upload a smaller JPEG`, 'too large'); return;
  }
  const mine = ++generation, t0 = performance.now();
  setStatus('loading', 'reconstructing your photo…');
  try {
    const res = await fetch('/api/photo', { method: 'POST', body: file, headers: { 'Content-Type': file.type || 'application/octet-stream' } });
    const j = await res.json();
    if (!res.ok) throw new Error(j.error + (j.fix ? ' — ' + j.fix : ''));
    if (mine !== generation) return;
    status.photoMs = Math.round(performance.now() - t0);
    photoMode(j);
    await load();
  } catch (err) {
    if (mine === generation) setStatus('error', 'error: ' + err.message, String(err.message));
  }
}

async function load(t0 = performance.now()) {
  const url = faceUrl(), mine = ++generation;
  status.url = url; $('download').href = url + '&download=1';
  setStatus('loading', 'generating…');
  try {
    const res = await fetch(url);
    if (!res.ok) { const e = await res.json(); throw new Error(e.error + (e.fix ? ' — ' + e.fix : '')); }
    const gltf = await new GLTFLoader().parseAsync(await res.arrayBuffer(), '');
    if (mine !== generation) return;            // a newer request won
    if (head) { scene.remove(head); head.traverse((o) => { o.geometry?.dispose(); }); }
    for (const t of Object.values(live)) t.dispose();
    live = {};                                  // the new head has its own textures
    head = gltf.scene; scene.add(head);
    head.traverse((o) => { if (o.isMesh) useMipmaps(o.material.map); });
    if (!framed) { frame(head); framed = true; }
    applyExpression();
    drawNow();
    status.loads += 1; status.lastLoadMs = Math.round(performance.now() - t0);
    const labels = `${$('ethnicity').value}, ${$('age').value}, ${$('gender').value}`;
    const what = status.photo ? `your photo: ${labels}` : status.info?.trained ? `${labels}, seed ${$('seed').value}`
                                                                              : 'ICT-FaceKit template (no trained model)';
    setStatus('ready', `${what} — ${status.lastLoadMs} ms (server ${res.headers.get('X-Facediv-Seconds')} s)`);
  } catch (err) {
    if (mine === generation) setStatus('error', 'error: ' + err.message, String(err.message));
  }
}
// A menu, the seed or psi changed: fetch only the new face's positions, normals and skin textures (/api/face.bin)
// and put them into the head on screen; its triangles, UVs and morph targets stay. A newer change aborts an older one.
// Textures come as RGBA pixels from a server on this machine (nothing to decode), as JPEG/PNG over a network.
status.textures = options.get('textures') || (['localhost', '127.0.0.1', '[::1]'].includes(location.hostname) ? 'raw' : 'jpeg');
let inflight = null;
let live = {};   // texture source ('face', 'sclera', ...) -> the texture its materials share, refilled in place
function liveTexture(source, image, like) {
  // image: an ImageBitmap or {data, width, height}; the same size reuses the GL texture (a sub-image upload)
  let t = live[source];
  if (!t || t.image.width !== image.width || t.image.height !== image.height || Boolean(t.isDataTexture) !== Boolean(image.data)) {
    t?.dispose();
    t = live[source] = image.data ? new THREE.DataTexture(image.data, image.width, image.height) : new THREE.Texture(image);
    for (const p of ['flipY', 'wrapS', 'wrapT', 'magFilter', 'minFilter', 'colorSpace', 'channel', 'generateMipmaps']) t[p] = like[p];
    useMipmaps(t);
  } else t.image = image;
  t.needsUpdate = true;
  return t;
}
async function update(t0 = performance.now()) {
  if (!head || status.photo || !status.info?.trained) return load();
  const url = faceUrl(), mine = ++generation;
  status.url = url; $('download').href = url + '&download=1';
  inflight?.abort(); inflight = new AbortController();
  try {
    const res = await fetch(url.replace('/api/face.glb', '/api/face.bin') + '&textures=' + status.textures, { signal: inflight.signal });
    if (!res.ok) { const e = await res.json(); throw new Error(e.error + (e.fix ? ' — ' + e.fix : '')); }
    const buf = await res.arrayBuffer(), t1 = performance.now();
    const n = new DataView(buf).getUint32(4, true), data = 8 + n;
    const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 8, n)));
    const blob = (name) => { const [o, l] = header.blobs[name]; return new Uint8Array(buf, data + o, l); };
    const sources = [...new Set(Object.values(header.sources))].filter((k) => header.blobs[k + '/albedo']);
    const image = (k) => {
      const [h, w] = header.images[k + '/albedo'];
      return header.textures === 'raw' ? { data: blob(k + '/albedo'), width: w, height: h }
                                       : createImageBitmap(new Blob([blob(k + '/albedo')]), { premultiplyAlpha: 'none' });
    };
    const images = await Promise.all(sources.map(image));
    const bitmaps = Object.fromEntries(sources.map((k, i) => [k, images[i]]));
    if (mine !== generation) return;            // a newer change won
    const t2 = performance.now(), filled = {};
    head.traverse((o) => {
      if (header.origins[o.name]) o.position.fromArray(header.origins[o.name]);
      if (!o.isMesh || !header.blobs[o.material.name + '/position']) return;
      const m = o.material.name, g = o.geometry;
      g.attributes.position.array.set(new Float32Array(buf, data + header.blobs[m + '/position'][0], g.attributes.position.count * 3));
      g.attributes.normal.array.set(new Float32Array(buf, data + header.blobs[m + '/normal'][0], g.attributes.normal.count * 3));
      g.attributes.position.needsUpdate = true; g.attributes.normal.needsUpdate = true; g.computeBoundingSphere();
      const source = header.sources[m], old = o.material.map;
      if (bitmaps[source] && old) {                // the two eyes share one texture: it is filled once
        const tex = filled[source] ??= liveTexture(source, bitmaps[source], old);
        if (old !== tex) { o.material.map = tex; if (!Object.values(live).includes(old)) old.dispose(); }
      }
    });
    const t3 = performance.now();
    drawNow();
    const t4 = performance.now();
    status.updates = (status.updates || 0) + 1; status.lastUpdateMs = Math.round(t4 - t0);
    status.lastUpdateParts = { fetch: t1 - t0, decode: t2 - t1, apply: t3 - t2, draw: t4 - t3 };
    status.lastUpdateServerS = Number(res.headers.get('X-Facediv-Seconds'));
    setStatus('ready', `${$('ethnicity').value}, ${$('age').value}, ${$('gender').value}, seed ${$('seed').value} — ${status.lastUpdateMs} ms`);
  } catch (err) {
    if (err.name !== 'AbortError' && mine === generation) setStatus('error', 'error: ' + err.message, String(err.message));
  }
}
const reload = () => update();

function fill(select, values, chosen) {
  for (const v of values) select.add(new Option(v, v, false, v === chosen));
}

async function init() {
  const info = await (await fetch('/api/info')).json();
  status.info = info;
  $('version').textContent = info.facediv;
  for (const kind of ['ethnicity', 'age', 'gender']) {
    fill($(kind), info.taxonomy[kind], info.defaults[kind]);
    $(kind).addEventListener('change', reload);
    $(kind).disabled = !info.trained;
  }
  $('seed').value = info.defaults.seed; $('seed').addEventListener('change', reload); $('seed').disabled = !info.trained;
  $('random').addEventListener('click', () => { $('seed').value = Math.floor(Math.random() * 100000); reload(); });
  $('random').disabled = !info.trained;
  $('psi').value = info.defaults.psi; $('psi').disabled = !info.trained;
  $('psi').addEventListener('input', () => { $('psi-out').textContent = Number($('psi').value).toFixed(2); });
  $('psi').addEventListener('change', reload);
  if (info.banner) { $('banner').textContent = info.banner; $('banner').hidden = false; }
  $('photo').addEventListener('change', () => upload($('photo').files[0]));
  $('clear-photo').addEventListener('click', () => { $('photo').value = ''; photoMode(null); load(); });
  view.addEventListener('dragover', (e) => e.preventDefault());
  view.addEventListener('drop', (e) => { e.preventDefault(); upload(e.dataTransfer.files[0]); });
  const box = $('expressions');
  for (const name of info.expressions) {
    expression[name] = 0;
    const label = document.createElement('label'), input = document.createElement('input');
    input.type = 'range'; input.min = 0; input.max = 1; input.step = 0.01; input.value = 0; input.dataset.name = name;
    input.addEventListener('input', () => { expression[name] = Number(input.value); applyExpression(); });
    label.append(name, input); box.appendChild(label);
  }
  $('reset').addEventListener('click', (e) => {
    e.preventDefault();
    for (const input of box.querySelectorAll('input')) { input.value = 0; expression[input.dataset.name] = 0; }
    applyExpression();
  });
  await load();
}
// For scripted use (tests, demos): set labels / an expression without touching the DOM events.
window.facediv = { load, update, upload, expression, applyExpression, drawNow, camera, controls, scene, renderer };
init().catch((err) => setStatus('error', 'error: ' + err.message, String(err.message)));
