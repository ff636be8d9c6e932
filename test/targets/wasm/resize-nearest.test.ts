import { describe, expect, it } from 'vitest';
import type { Attribute } from '../../../compiler/ir/graph.js';
import { Tensor, tensorFrom } from '../../../runtime/tensor.js';
import { graph, model, node, value } from '../../helpers/build.js';
import { wasmAgainstOrt } from './against-ort.js';

/**
 * Nearest Resize as a gather copy (compiler/kernel/lower/resize-nearest.ts) against onnxruntime-node:
 * integer upscales (the repeat split), downscales (affine), fractional scales and sizes (index tables),
 * every coordinate transform and nearest mode, resized inner and outer axes, opset-18 axes.
 */
interface Case {
  x: number[];
  scales?: number[];
  sizes?: number[];
  coord?: string;
  nearest?: string;
  axes?: number[];
  opset?: number;
}

const str = (v: string): Attribute => ({ type: 'string', value: v });

const cases: Case[] = [
  { x: [1, 3, 5, 7], scales: [1, 1, 2, 2], coord: 'asymmetric', nearest: 'floor' },
  { x: [2, 4, 6, 5], scales: [1, 1, 2, 2] },
  { x: [1, 2, 4, 9], scales: [1, 1, 3, 4], coord: 'half_pixel', nearest: 'round_prefer_floor' },
  { x: [1, 2, 8, 12], scales: [1, 1, 0.5, 0.5], coord: 'asymmetric', nearest: 'floor' },
  { x: [1, 2, 9, 10], scales: [1, 1, 0.5, 0.5], coord: 'half_pixel', nearest: 'round_prefer_ceil' },
  { x: [1, 3, 5, 7], sizes: [1, 3, 8, 11], coord: 'align_corners', nearest: 'round_prefer_floor' },
  { x: [1, 3, 5, 7], sizes: [1, 3, 13, 3], coord: 'pytorch_half_pixel', nearest: 'ceil' },
  { x: [2, 3, 4, 4], scales: [1, 2, 1.5, 1], coord: 'half_pixel', nearest: 'floor' },
  { x: [1, 1, 6, 6], scales: [1, 1, 2.5, 0.75], coord: 'asymmetric', nearest: 'round_prefer_floor' },
  { x: [3, 5, 7], scales: [1, 1, 3], coord: 'asymmetric', nearest: 'floor' },
  { x: [1, 4, 3, 5], scales: [2, 3], axes: [2, 3], opset: 18, coord: 'asymmetric', nearest: 'floor' },
  { x: [1, 2, 3, 4], scales: [1, 1, 2, 2], opset: 10 },
];

async function run(c: Case) {
  const opset = c.opset ?? 13;
  const attrs: Record<string, Attribute> = { mode: str('nearest') };
  if (opset >= 11) {
    if (c.coord) attrs.coordinate_transformation_mode = str(c.coord);
    if (c.nearest) attrs.nearest_mode = str(c.nearest);
  }
  if (c.axes) attrs.axes = { type: 'ints', value: c.axes };
  const init: Record<string, Tensor> = {};
  let inputs: string[];
  if (opset < 11) {
    init.scales = tensorFrom('float32', [c.scales!.length], Float32Array.from(c.scales!));
    inputs = ['x', 'scales'];
  } else if (c.scales) {
    init.scales = tensorFrom('float32', [c.scales.length], Float32Array.from(c.scales));
    inputs = ['x', '', 'scales'];
  } else {
    init.sizes = tensorFrom('int64', [c.sizes!.length], BigInt64Array.from(c.sizes!.map(BigInt)));
    inputs = ['x', '', '', 'sizes'];
  }
  const m = model(
    graph({
      inputs: [value('x', 'float32', c.x)],
      outputs: [value('y', 'float32')],
      nodes: [node('Resize', inputs, ['y'], attrs, 'resize')],
      initializers: init,
    }),
    opset,
  );
  return wasmAgainstOrt(m, c.x, 7);
}

describe('WASM target: nearest Resize as a gather copy matches onnxruntime-node', () => {
  for (const c of cases) {
    const label = `${c.x.join('x')} ${c.scales ? `scales ${c.scales}` : `sizes ${c.sizes}`} ${c.coord ?? ''} ${c.nearest ?? ''} opset ${c.opset ?? 13}`;
    it(
      label,
      async () => {
        const { got, want, kernels } = await run(c);
        expect(kernels).toEqual(['resize_nearest']);
        expect(got.shape).toEqual(want.shape);
        // a copy: bit-exact
        expect(Array.from(got.data as Float32Array)).toEqual(Array.from(want.data as Float32Array));
      },
      60_000,
    );
  }
});
