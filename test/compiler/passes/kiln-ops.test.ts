import { describe, expect, it } from 'vitest';
import type { Attribute, Node } from '../../../compiler/ir/graph.js';
import { tensorFrom } from '../../../runtime/tensor.js';
import { KilnError } from '../../../runtime/errors.js';
import { graph, ints, model, node, value } from '../../helpers/build.js';
import { randomFloat32 } from '../../helpers/random.js';
import { PASS_TOLERANCE, run } from './check.js';
import { compareTensors } from '../../../compiler/conformance/compare.js';

const kiln = (
  op: string,
  inputs: string[],
  outputs: string[],
  attrs: Record<string, Attribute> = {},
  name?: string,
): Node => ({ ...node(op, inputs, outputs, attrs, name), domain: 'kiln' });
const str = (value: string): Attribute => ({ type: 'string', value });
const floats = (value: number[]): Attribute => ({ type: 'floats', value });

function withKiln(m: ReturnType<typeof model>) {
  m.opsetImports.set('kiln', 1);
  return m;
}

describe('kiln reference ops', () => {
  const x = randomFloat32([1, 2, 5, 5], 1, -2, 2);
  const w = randomFloat32([3, 2, 3, 3], 2);

  it('FusedConv equals Conv followed by the activation', () => {
    const unfused = model(
      graph({
        inputs: [value('x', 'float32', [1, 2, 5, 5])],
        outputs: [value('y', 'float32')],
        initializers: { w, lo: tensorFrom('float32', [], [-0.5]), hi: tensorFrom('float32', [], [0.5]) },
        nodes: [
          node('Conv', ['x', 'w'], ['c'], { pads: ints([1, 1, 1, 1]) }),
          node('Clip', ['c', 'lo', 'hi'], ['y']),
        ],
      }),
    );
    const fused = withKiln(
      model(
        graph({
          inputs: [value('x', 'float32', [1, 2, 5, 5])],
          outputs: [value('y', 'float32')],
          initializers: { w },
          nodes: [
            kiln('FusedConv', ['x', 'w'], ['y'], {
              pads: ints([1, 1, 1, 1]),
              activation: str('clip'),
              activation_params: floats([-0.5, 0.5]),
            }),
          ],
        }),
      ),
    );
    const a = run(unfused, { x }).y!;
    const b = run(fused, { x }).y!;
    expect(compareTensors(b, a, PASS_TOLERANCE)).toBeUndefined();
    expect(b.shape).toEqual([1, 3, 5, 5]);
  });

  it('FusedMatMul adds its bias before the activation and checks the bias shape', () => {
    const a = randomFloat32([2, 3, 4], 3);
    const bm = randomFloat32([4, 5], 4);
    const make = (biasShape: number[]) =>
      withKiln(
        model(
          graph({
            inputs: [value('a', 'float32', [2, 3, 4])],
            outputs: [value('y', 'float32')],
            initializers: { bm, bias: randomFloat32(biasShape, 5) },
            nodes: [kiln('FusedMatMul', ['a', 'bm', 'bias'], ['y'], { activation: str('relu') })],
          }),
        ),
      );
    const y = run(make([5]), { a }).y!;
    const ref = model(
      graph({
        inputs: [value('a', 'float32', [2, 3, 4])],
        outputs: [value('y', 'float32')],
        initializers: { bm, bias: randomFloat32([5], 5) },
        nodes: [
          node('MatMul', ['a', 'bm'], ['p']),
          node('Add', ['p', 'bias'], ['q']),
          node('Relu', ['q'], ['y']),
        ],
      }),
    );
    expect(compareTensors(y, run(ref, { a }).y!, PASS_TOLERANCE)).toBeUndefined();
    expect(() => run(make([3]), { a })).toThrow(/bias float32\[3\] does not broadcast onto the product/);
  });

  it('FusedConv refuses a residual Z whose shape differs from the conv result', () => {
    const m = withKiln(
      model(
        graph({
          inputs: [value('x', 'float32', [1, 2, 5, 5])],
          outputs: [value('y', 'float32')],
          initializers: { w, z: randomFloat32([1, 3, 1, 1], 9) },
          nodes: [kiln('FusedConv', ['x', 'w', '', 'z'], ['y'], {}, 'res1')],
        }),
      ),
    );
    expect(() => run(m, { x })).toThrow(
      /node 'res1'.*Z is float32\[1,3,1,1\] but the Conv result is float32\[1,3,3,3\]/,
    );
  });

  it('refuses an unknown activation and a bad expression, naming the node', () => {
    const bad = withKiln(
      model(
        graph({
          inputs: [value('x', 'float32', [1, 2, 5, 5])],
          outputs: [value('y', 'float32')],
          initializers: { w },
          nodes: [kiln('FusedConv', ['x', 'w'], ['y'], { activation: str('swish3') }, 'conv7')],
        }),
      ),
    );
    expect(() => run(bad, { x })).toThrow(KilnError);
    expect(() => run(bad, { x })).toThrow(/node 'conv7'.*unknown activation 'swish3'/);
    const badExpr = withKiln(
      model(
        graph({
          inputs: [value('x', 'float32', [1, 2, 5, 5])],
          outputs: [value('y', 'float32')],
          nodes: [
            kiln('Elementwise', ['x'], ['y'], { expression: str('{"kind":"input","index":1}') }, 'ew1'),
          ],
        }),
      ),
    );
    expect(() => run(badExpr, { x })).toThrow(/node 'ew1'.*input index 1 outside 0..0/);
  });

  it('kiln.Gelu matches the erf and tanh definitions', () => {
    const g = (approximate: string) =>
      withKiln(
        model(
          graph({
            inputs: [value('x', 'float32', [3])],
            outputs: [value('y', 'float32')],
            nodes: [kiln('Gelu', ['x'], ['y'], { approximate: str(approximate) })],
          }),
        ),
      );
    const xs = tensorFrom('float32', [3], [-1, 0.5, 2]);
    const erf = Array.from(run(g('none'), { x: xs }).y!.data as Float32Array);
    const tanh = Array.from(run(g('tanh'), { x: xs }).y!.data as Float32Array);
    // Values from the closed forms (scipy.special.erf / numpy.tanh).
    expect(erf.map((v) => +v.toFixed(6))).toEqual([-0.158655, 0.345731, 1.9545]);
    expect(tanh.map((v) => +v.toFixed(6))).toEqual([-0.158808, 0.345714, 1.954598]);
  });
});
