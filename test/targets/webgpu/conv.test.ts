import { describe, expect, it } from 'vitest';
import { compareTensors } from '../../../compiler/conformance/compare.js';
import type { Attribute, Node } from '../../../compiler/ir/graph.js';
import { exportModel } from '../../../compiler/onnx/export.js';
import type { Tensor } from '../../../runtime/tensor.js';
import { tensorFrom } from '../../../runtime/tensor.js';
import { nodeWebGpu } from '../../../runtime/webgpu/node-gpu.js';
import { WebGpuSession } from '../../../runtime/webgpu/session.js';
import { compileWasm } from '../../../targets/wasm/compile.js';
import { compileWebGpu, webGpuArtifact } from '../../../targets/webgpu/compile.js';
import { graph, int, ints, model, node, value } from '../../helpers/build.js';
import { runOrt } from '../../helpers/ort.js';
import { randomFloat32 } from '../../helpers/random.js';
import { gpuNote, hasAdapter } from './adapter.js';

/**
 * Convolutions on the webgpu target are implicit GEMMs (B gathered from the unpadded input) or, with
 * at most 4 output channels per group, direct shaders; both are checked against onnxruntime-node on
 * many geometries, built into one model (one compile, one session) with an input and output per conv.
 */
interface ConvCase {
  label: string;
  x: number[];
  /** output channels; kernel shape (1 or 2 dims) */
  m: number;
  kernel: number[];
  group?: number;
  strides?: number[];
  dilations?: number[];
  pads?: number[];
  autoPad?: string;
  bias?: boolean;
  /** the op fused into the conv's epilogue */
  act?: 'Relu' | 'Clip' | 'LeakyRelu';
}

const cases: ConvCase[] = [
  {
    label: '3×3 pad 1, bias, relu',
    x: [1, 6, 10, 10],
    m: 11,
    kernel: [3, 3],
    pads: [1, 1, 1, 1],
    bias: true,
    act: 'Relu',
  },
  {
    label: 'stem 7×7 stride 2 pad 3',
    x: [1, 3, 33, 29],
    m: 40,
    kernel: [7, 7],
    strides: [2, 2],
    pads: [3, 3, 3, 3],
    bias: true,
  },
  {
    label: 'many k tiles, M and N over one tile',
    x: [1, 37, 12, 11],
    m: 70,
    kernel: [3, 3],
    pads: [1, 1, 1, 1],
  },
  {
    label: 'dilated 3×2, asymmetric pads, strides 1×2, 2 items',
    x: [2, 4, 8, 9],
    m: 5,
    kernel: [3, 2],
    dilations: [2, 1],
    pads: [2, 0, 1, 1],
    strides: [1, 2],
    bias: true,
  },
  {
    label: 'no padding, stride 3, clip',
    x: [1, 5, 14, 13],
    m: 9,
    kernel: [4, 3],
    strides: [3, 3],
    act: 'Clip',
    bias: true,
  },
  { label: 'pointwise stride 2', x: [1, 8, 9, 11], m: 7, kernel: [1, 1], strides: [2, 2] },
  {
    label: 'pointwise (row-major B, no gather)',
    x: [2, 16, 7, 9],
    m: 13,
    kernel: [1, 1],
    bias: true,
    act: 'Relu',
  },
  {
    label: 'grouped 3×3, 2 groups, 3 items',
    x: [3, 8, 6, 7],
    m: 12,
    kernel: [3, 3],
    group: 2,
    pads: [1, 1, 1, 1],
    bias: true,
  },
  {
    label: 'grouped, 8 output channels per group (GEMM), leaky relu',
    x: [1, 12, 7, 7],
    m: 24,
    kernel: [3, 3],
    group: 3,
    pads: [0, 1, 2, 1],
    bias: true,
    act: 'LeakyRelu',
  },
  {
    label: 'depthwise 3×3 stride 2, relu',
    x: [1, 6, 9, 10],
    m: 6,
    kernel: [3, 3],
    group: 6,
    strides: [2, 2],
    pads: [1, 1, 1, 1],
    bias: true,
    act: 'Relu',
  },
  {
    label: 'depthwise 5×5, multiplier 2, 2 items',
    x: [2, 3, 11, 6],
    m: 6,
    kernel: [5, 5],
    group: 3,
    pads: [2, 2, 2, 2],
    bias: true,
  },
  {
    label: 'depthwise 9×9 dilated, asymmetric pads',
    x: [1, 4, 12, 13],
    m: 4,
    kernel: [3, 3],
    group: 4,
    dilations: [3, 2],
    pads: [3, 1, 2, 4],
  },
  {
    label: 'grouped, 2 input and 3 output channels per group (direct)',
    x: [1, 6, 8, 8],
    m: 9,
    kernel: [3, 3],
    group: 3,
    pads: [1, 1, 1, 1],
    act: 'Clip',
  },
  {
    label: 'SAME_UPPER stride 2',
    x: [1, 3, 10, 11],
    m: 4,
    kernel: [3, 3],
    strides: [2, 2],
    autoPad: 'SAME_UPPER',
    bias: true,
  },
  { label: 'SAME_LOWER 4×4', x: [1, 3, 9, 9], m: 4, kernel: [4, 4], autoPad: 'SAME_LOWER' },
  {
    label: '1-D conv, stride 2, pads',
    x: [2, 5, 17],
    m: 6,
    kernel: [3],
    strides: [2],
    pads: [1, 2],
    bias: true,
  },
  {
    label: 'window larger than the input (all taps but few padding)',
    x: [1, 2, 3, 3],
    m: 3,
    kernel: [5, 5],
    pads: [2, 2, 2, 2],
  },
];

function convModel() {
  const nodes: Node[] = [];
  const initializers: Record<string, Tensor> = {};
  const feeds: Record<string, Tensor> = {};
  cases.forEach((c, i) => {
    const group = c.group ?? 1;
    const wShape = [c.m, c.x[1]! / group, ...c.kernel];
    initializers[`w${i}`] = randomFloat32(wShape, 100 + i);
    if (c.bias) initializers[`b${i}`] = randomFloat32([c.m], 200 + i);
    feeds[`x${i}`] = randomFloat32(c.x, 300 + i);
    const attrs: Record<string, Attribute> = { kernel_shape: ints(c.kernel), group: int(group) };
    if (c.strides) attrs.strides = ints(c.strides);
    if (c.dilations) attrs.dilations = ints(c.dilations);
    if (c.pads) attrs.pads = ints(c.pads);
    if (c.autoPad) attrs.auto_pad = { type: 'string', value: c.autoPad };
    const conv = c.act ? `z${i}` : `y${i}`;
    nodes.push(node('Conv', [`x${i}`, `w${i}`, ...(c.bias ? [`b${i}`] : [])], [conv], attrs, `conv${i}`));
    if (c.act === 'Relu') nodes.push(node('Relu', [conv], [`y${i}`], {}, `act${i}`));
    if (c.act === 'LeakyRelu')
      nodes.push(node('LeakyRelu', [conv], [`y${i}`], { alpha: { type: 'float', value: 0.2 } }, `act${i}`));
    if (c.act === 'Clip') {
      initializers[`lo${i}`] = tensorFrom('float32', [], [-0.5]);
      initializers[`hi${i}`] = tensorFrom('float32', [], [0.75]);
      nodes.push(node('Clip', [conv, `lo${i}`, `hi${i}`], [`y${i}`], {}, `act${i}`));
    }
  });
  const m = model(
    graph({
      inputs: cases.map((c, i) => value(`x${i}`, 'float32', c.x)),
      outputs: cases.map((_, i) => ({ name: `y${i}` })),
      nodes,
      initializers,
    }),
    13,
  );
  return { m, feeds };
}

describe('webgpu convolutions as implicit GEMMs (compile time, no GPU needed)', () => {
  const webgpu = compileWebGpu(convModel().m, { selfTest: false });
  const wasm = compileWasm(convModel().m);
  const names = (ks: { name: string; nodes: string[] }[], conv: number) =>
    ks.filter((k) => k.nodes.includes(`conv${conv}`)).map((k) => k.name);

  it('emits one kernel per conv, with no pad or im2col kernels, where wasm keeps them', () => {
    cases.forEach((c, i) => {
      const ks = names(webgpu.lowered.kernels, i);
      const pointwise = c.kernel.every((k) => k === 1) && !c.strides && !c.pads;
      const depthwise = c.x[1] === (c.group ?? 1) && (c.group ?? 1) > 1;
      expect(ks, c.label).toEqual([
        pointwise ? 'conv_pointwise' : depthwise ? 'depthwise_conv' : 'conv_implicit',
      ]);
    });
    const wasmNames = wasm.lowered.kernels.map((k) => k.name);
    expect(wasmNames).toContain('im2col');
    expect(wasmNames).toContain('pad');
  });

  it('reserves no buffer for padded copies or im2col matrices: a smaller arena than wasm', () => {
    const temps = [...webgpu.lowered.buffers.keys()].filter((n) => /:(pad|im2col)/.test(n));
    expect(temps).toEqual([]);
    expect(webgpu.arena.bytes).toBeLessThan(wasm.arena.bytes);
  });

  it('renders the gather in the GEMM template and small-M convs as direct shaders', () => {
    const shaders = [...webgpu.shaders.values()];
    expect(shaders.some((s) => s.includes('var<workgroup> tileB') && s.includes('let gc = k /'))).toBe(true);
    expect(
      shaders.some((s) => s.includes('@workgroup_size(64, 1, 1)') && s.includes('for (var kh = 0;')),
    ).toBe(true);
  });
});

describe.skipIf(!hasAdapter)(gpuNote('webgpu convolutions against onnxruntime-node'), () => {
  it.each(['fp32', 'fp16'] as const)(
    'every geometry matches (%s)',
    { timeout: 300_000 },
    async (precision) => {
      const { m, feeds } = convModel();
      const want = await runOrt(exportModel(m), feeds);
      const compiled = compileWebGpu(convModel().m, { selfTest: false, precision });
      const s = await WebGpuSession.create(await webGpuArtifact(compiled), { gpu: await nodeWebGpu() });
      try {
        const ours = await s.run(feeds);
        // fp16: activations and weights rounded to 11 bits, sums over up to 333 products
        const tol = precision === 'fp32' ? 1e-4 : 2e-2;
        cases.forEach((c, i) => {
          expect(
            compareTensors(ours[`y${i}`]!, want[`y${i}`]!, { rtol: tol, atol: tol }),
            c.label,
          ).toBeUndefined();
        });
      } finally {
        s.release();
      }
    },
  );
});
