import { describe, expect, it } from 'vitest';
import type { Attribute } from '../../../compiler/ir/graph.js';
import { Tensor } from '../../../runtime/tensor.js';
import { graph, int, ints, model, node, value } from '../../helpers/build.js';
import { wasmAgainstOrt } from './against-ort.js';
import { expectClose, rand } from './execute.js';

/**
 * ConvTranspose against onnxruntime-node: kernel = stride (the GEMM + placement path,
 * conv-transpose-gemm.ts) over batches, groups, bias and non-square kernels; overlapping, padded or
 * output_padding geometries keep the scatter-add.
 */
interface Case {
  x: [number, number, number, number];
  /** output channels per group */
  mg: number;
  k: [number, number];
  strides: [number, number];
  group?: number;
  bias?: boolean;
  pads?: [number, number, number, number];
  outputPadding?: [number, number];
  path: string;
}

const cases: Case[] = [
  { x: [1, 8, 5, 7], mg: 6, k: [2, 2], strides: [2, 2], bias: true, path: 'conv_transpose_gemm' },
  { x: [2, 5, 4, 9], mg: 3, k: [2, 2], strides: [2, 2], path: 'conv_transpose_gemm' },
  { x: [1, 6, 3, 5], mg: 5, k: [3, 2], strides: [3, 2], bias: true, path: 'conv_transpose_gemm' },
  { x: [2, 6, 4, 6], mg: 2, k: [2, 2], strides: [2, 2], group: 3, bias: true, path: 'conv_transpose_gemm' },
  { x: [1, 16, 8, 8], mg: 9, k: [1, 1], strides: [1, 1], bias: true, path: 'conv_transpose_gemm' },
  { x: [1, 4, 5, 5], mg: 3, k: [3, 3], strides: [2, 2], bias: true, path: 'conv_transpose' },
  { x: [1, 4, 5, 5], mg: 3, k: [2, 2], strides: [2, 2], pads: [1, 0, 0, 1], path: 'conv_transpose' },
  { x: [1, 4, 5, 5], mg: 3, k: [2, 2], strides: [2, 2], outputPadding: [1, 1], path: 'conv_transpose' },
];

describe('WASM target: ConvTranspose matches onnxruntime-node', () => {
  for (const c of cases) {
    const G = c.group ?? 1;
    const label = `x ${c.x.join('x')} k ${c.k} s ${c.strides} group ${G}${c.bias ? ' bias' : ''}${c.pads ? ` pads ${c.pads}` : ''}${c.outputPadding ? ` output_padding ${c.outputPadding}` : ''} via ${c.path}`;
    it(
      label,
      async () => {
        const C = c.x[1];
        const attrs: Record<string, Attribute> = {
          kernel_shape: ints(c.k),
          strides: ints(c.strides),
          group: int(G),
        };
        if (c.pads) attrs.pads = ints(c.pads);
        if (c.outputPadding) attrs.output_padding = ints(c.outputPadding);
        const wShape = [C, c.mg, ...c.k];
        const init: Record<string, Tensor> = {
          w: new Tensor('float32', wShape, rand(C * c.mg * c.k[0] * c.k[1], 2)),
        };
        if (c.bias) init.b = new Tensor('float32', [c.mg * G], rand(c.mg * G, 3));
        const m = model(
          graph({
            inputs: [value('x', 'float32', c.x)],
            outputs: [value('y', 'float32')],
            nodes: [node('ConvTranspose', ['x', 'w', ...(c.bias ? ['b'] : [])], ['y'], attrs, 'ct')],
            initializers: init,
          }),
        );
        const { got, want, kernels } = await wasmAgainstOrt(m, c.x, 1);
        expect(kernels).toContain(c.path);
        expect(got.shape).toEqual(want.shape);
        expectClose(got.data as Float32Array, want.data as Float32Array, (C / G) * c.k[0] * c.k[1]);
      },
      60_000,
    );
  }
});
