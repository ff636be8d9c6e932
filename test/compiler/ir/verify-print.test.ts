import { describe, expect, it } from 'vitest';
import { printModel } from '../../../compiler/ir/print.js';
import { topoOrder } from '../../../compiler/ir/topo.js';
import { assertValid, verifyModel } from '../../../compiler/ir/verify.js';
import { KilnError } from '../../../runtime/errors.js';
import { tensorFrom } from '../../../runtime/tensor.js';
import { graph, int, model, node, value } from '../../helpers/build.js';

const base = () =>
  graph({
    inputs: [value('x', 'float32', ['N', 4])],
    outputs: [value('z', 'float32', ['N', 4])],
    initializers: { b: tensorFrom('float32', [4], [1, 2, 3, 4]) },
    nodes: [node('Add', ['x', 'b'], ['y'], {}, 'add'), node('Relu', ['y'], ['z'], {}, 'relu')],
  });

describe('IR verifier', () => {
  it('accepts a valid graph', () => {
    expect(verifyModel(model(base()))).toEqual([]);
  });

  it('finds double assignment, dangling references, out-of-order nodes and missing outputs', () => {
    const g = base();
    g.nodes.push(node('Neg', ['x'], ['y'], {}, 'neg_dup'));
    g.nodes.push(node('Abs', ['nope'], ['w'], {}, 'abs_dangling'));
    g.outputs.push(value('missing', 'float32'));
    const problems = verifyModel(model(g)).map((p) => `${p.node ?? ''}: ${p.message}`);
    expect(problems).toContain("neg_dup: 'y' is assigned more than once (output of Neg)");
    expect(problems).toContain("abs_dangling: uses undefined value 'nope'");
    expect(problems).toContain(": graph output 'missing' is never produced");

    const swapped = base();
    swapped.nodes.reverse();
    expect(verifyModel(model(swapped))[0]!.message).toMatch(/before it is produced/);
    // topoOrder still finds a valid order for execution
    expect(topoOrder(swapped).map((n) => n.name)).toEqual(['add', 'relu']);
  });

  it('checks that every domain has an opset import and throws one KilnError listing problems', () => {
    const g = base();
    g.nodes[1] = { ...g.nodes[1]!, domain: 'com.vendor' };
    expect(() => assertValid(model(g), 'm.onnx')).toThrow(KilnError);
    expect(() => assertValid(model(g), 'm.onnx')).toThrow(/com.vendor' has no opset import/);
  });

  it('rejects cycles with the node named', () => {
    const g = graph({
      inputs: [],
      outputs: [value('a', 'float32')],
      nodes: [node('Neg', ['b'], ['a'], {}, 'n1'), node('Neg', ['a'], ['b'], {}, 'n2')],
    });
    expect(() => topoOrder(g)).toThrow(/cycle through node/);
  });
});

describe('IR printer', () => {
  it('prints inputs, initializers, nodes with attributes and types, and outputs', () => {
    const m = model(base());
    m.graph.nodes[1]!.attrs = { axis: int(1) };
    const text = printModel(m);
    expect(text).toContain('opsets(ai.onnx=17)');
    expect(text).toContain('input  x: float32[N,4]');
    expect(text).toContain('init   b: float32[4]');
    expect(text).toContain('= Add(x, b)  # add');
    expect(text).toContain('z: float32[N,4] = Relu(y) {axis=1}  # relu');
    expect(text).toContain('output z: float32[N,4]');
  });
});
