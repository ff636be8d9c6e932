/**
 * Emits the plain ONNX nodes an unrolling pass builds (Slice, Squeeze, Gemm, ...) under fresh names,
 * in the form the model's opset expects: the ops whose operands moved from attributes to inputs
 * (Slice at 10, Clip at 11, Squeeze/Unsqueeze at 13) are written either way.
 */
import type { DType } from '../../runtime/dtype.js';
import { type Tensor, tensorFrom } from '../../runtime/tensor.js';
import type { Attribute, Graph, Model, Node } from '../ir/graph.js';
import { NameGen } from './graph-utils.js';

export const intAttr = (value: number): Attribute => ({ type: 'int', value });
export const intsAttr = (value: number[]): Attribute => ({ type: 'ints', value });
export const floatAttr = (value: number): Attribute => ({ type: 'float', value });

export class NodeEmitter {
  /** The nodes emitted so far, in order. */
  readonly nodes: Node[] = [];
  readonly opset: number;
  private readonly names: NameGen;

  constructor(
    private readonly graph: Graph,
    model: Model,
    /** Prefix of every new name (the rewritten node's name), so dumps stay readable. */
    private readonly prefix: string,
    names?: NameGen,
  ) {
    this.opset = model.opsetImports.get('') ?? 1;
    this.names = names ?? new NameGen(graph);
  }

  fresh(base: string): string {
    return this.names.fresh(`${this.prefix}_${base}`);
  }

  /** A node of the default domain; `outputs` names (fresh ones if a count). Returns its outputs. */
  node(
    op: string,
    inputs: string[],
    attrs: Record<string, Attribute> = {},
    outputs: number | string[] = 1,
  ): string[] {
    const outs =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, (_, i) => this.fresh(`${op.toLowerCase()}${i ? `_${i}` : ''}`))
        : outputs;
    this.nodes.push({ name: this.fresh(op), op, domain: '', inputs, outputs: outs, attrs });
    return outs;
  }

  /** One-output node; `output` names its result (default: a fresh name). */
  op(op: string, inputs: string[], attrs: Record<string, Attribute> = {}, output?: string): string {
    return this.node(op, inputs, attrs, output ? [output] : 1)[0]!;
  }

  /** A new initializer holding `t`. */
  constant(t: Tensor, base = 'const'): string {
    const name = this.fresh(base);
    this.graph.initializers.set(name, t);
    return name;
  }

  ints(values: number[]): string {
    return this.constant(tensorFrom('int64', [values.length], values), 'ints');
  }

  scalarOf(dtype: DType, value: number): string {
    return this.constant(tensorFrom(dtype, [], [value]), 'scalar');
  }

  /** x[start:end] along one axis. */
  slice(x: string, axis: number, start: number, end: number, output?: string): string {
    if (this.opset < 10)
      return this.op(
        'Slice',
        [x],
        { starts: intsAttr([start]), ends: intsAttr([end]), axes: intsAttr([axis]) },
        output,
      );
    return this.op('Slice', [x, this.ints([start]), this.ints([end]), this.ints([axis])], {}, output);
  }

  squeeze(x: string, axes: number[], output?: string): string {
    if (this.opset < 13) return this.op('Squeeze', [x], { axes: intsAttr(axes) }, output);
    return this.op('Squeeze', [x, this.ints(axes)], {}, output);
  }

  unsqueeze(x: string, axes: number[], output?: string): string {
    if (this.opset < 13) return this.op('Unsqueeze', [x], { axes: intsAttr(axes) }, output);
    return this.op('Unsqueeze', [x, this.ints(axes)], {}, output);
  }

  /** x[index] along `axis`, that axis removed. */
  take(x: string, axis: number, index: number, output?: string): string {
    return this.squeeze(this.slice(x, axis, index, index + 1), [axis], output);
  }

  concat(xs: string[], axis: number, output?: string): string {
    return this.op('Concat', xs, { axis: intAttr(axis) }, output);
  }

  /** Stack equal-shaped values on a new axis. */
  stack(xs: string[], axis: number, output?: string): string {
    return this.concat(
      xs.map((x) => this.unsqueeze(x, [axis])),
      axis,
      output,
    );
  }

  reshape(x: string, shape: number[], output?: string): string {
    if (this.opset < 5) return this.op('Reshape', [x], { shape: intsAttr(shape) }, output);
    return this.op('Reshape', [x, this.ints(shape)], {}, output);
  }

  transpose(x: string, perm: number[], output?: string): string {
    return this.op('Transpose', [x], { perm: intsAttr(perm) }, output);
  }

  /** Clip to [-c, c] (values of `dtype`). */
  clipSymmetric(x: string, c: number, dtype: DType): string {
    if (this.opset < 11) return this.op('Clip', [x], { min: floatAttr(-c), max: floatAttr(c) });
    return this.op('Clip', [x, this.scalarOf(dtype, -c), this.scalarOf(dtype, c)]);
  }
}
