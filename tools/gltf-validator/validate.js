#!/usr/bin/env node
// Print the Khronos glTF-Validator JSON report of one GLB/glTF file.
// usage: node tools/gltf-validator/validate.js PATH.glb   (install first: npm ci --prefix tools/gltf-validator)
// Exit status: 0 report printed (read issues.numErrors), 2 bad usage or unreadable file.
'use strict';
const fs = require('fs');
const path = require('path');
const validator = require('gltf-validator');

const file = process.argv[2];
if (!file) { console.error('usage: node validate.js PATH.glb'); process.exit(2); }
let bytes;
try { bytes = fs.readFileSync(file); } catch (e) { console.error(`cannot read ${file}: ${e.message}`); process.exit(2); }

validator.validateBytes(new Uint8Array(bytes), {
  uri: path.basename(file),
  maxIssues: 0,           // report every issue
  writeTimestamp: false,  // reproducible output
  externalResourceFunction: (uri) => new Promise((resolve, reject) => {
    fs.readFile(path.resolve(path.dirname(file), decodeURIComponent(uri)), (err, data) => err ? reject(err.toString()) : resolve(data));
  }),
}).then((report) => {
  console.log(JSON.stringify(report, null, 2));
}, (err) => { console.error(`glTF-Validator could not read ${file}: ${err}`); process.exit(2); });
