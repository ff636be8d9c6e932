/**
 * Per-model run time of the compiled WASM target: compile, check the output against PyTorch's, warm up
 * (V8 tiers up from Liftoff lazily), then time `runs` runs and print the median. Single-threaded.
 * Usage: npx tsx bench/wasm-models.ts [--runs 12] [--variant relaxed|simd] model...
 */
import { setFlagsFromString } from 'node:v8';
setFlagsFromString('--experimental-wasm-relaxed-simd');
import { compareTensors } from '../compiler/conformance/compare.js';
import { loadModel, readTensorProtoFile } from '../compiler/onnx/import.js';
import { WasmSession } from '../runtime/wasm/session.js';
import { compileWasm, wasmArtifact } from '../targets/wasm/compile.js';

const TORCH = process.env.KILN_TORCH_MODELS ?? '/work/shared/models/torch';
const args = process.argv.slice(2);
const opt = (name: string, d: string) => {
  const i = args.indexOf(name);
  return i < 0 ? d : args.splice(i, 2)[1]!;
};
const runs = Number(opt('--runs', '12'));
const variant = opt('--variant', 'relaxed') as 'relaxed' | 'simd';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

console.log(`model\tvariant\tmedian_ms\tmin_ms\truns\tcheck`);
for (const name of args) {
  const file = `${TORCH}/${name}.onnx`;
  const art = await wasmArtifact(compileWasm(loadModel(file)));
  const s = await WasmSession.create(art, { relaxedSimd: variant === 'relaxed' ? 'on' : 'off' });
  const x = readTensorProtoFile(`${TORCH}/${name}/test_data_set_0/input_0.pb`);
  const want = readTensorProtoFile(`${TORCH}/${name}/test_data_set_0/output_0.pb`);
  const feeds = { [s.inputNames[0]!]: x };
  const out = await s.run(feeds);
  const check = compareTensors(out[s.outputNames[0]!]!, want, { rtol: 1e-3, atol: 1e-4 }) ?? 'ok';
  // warm-up: at least 5 runs or 2 s, so the optimising tier has replaced Liftoff code
  const w0 = performance.now();
  for (let i = 0; i < 5 || performance.now() - w0 < 2000; i++) await s.run(feeds);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await s.run(feeds);
    times.push(performance.now() - t);
  }
  console.log(
    `${name}\t${variant}\t${median(times).toFixed(1)}\t${Math.min(...times).toFixed(1)}\t${runs}\t${check}`,
  );
}
