#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';
import { main } from './program.js';

// Node 20 ships relaxed SIMD behind a flag; compiled models use its FMA when the engine has it.
setFlagsFromString('--experimental-wasm-relaxed-simd');

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error('kiln: internal error:', err);
    process.exitCode = 70;
  },
);
