import { KilnError } from '../../../runtime/errors.js';
import type { Tensor } from '../../../runtime/tensor.js';
import type { Node, TypeInfo } from '../../ir/graph.js';
import type { ElemType, Kernel } from '../ir.js';
import { resolveTypes } from '../types.js';
import { elemTypeOf, weightBytes } from './elem-types.js';

/** A buffer the lowering created or used: an activation (arena), a weight (weights.bin) or model IO. */
export interface BufferInfo {
  name: string;
  /** Elements. */
  size: number;
  role: 'input' | 'output' | 'weight' | 'temp';
  /** Element type (default f32). */
  dtype?: ElemType;
  /** Weight contents as stored (elements of `dtype`), already in the layout the kernel reads. */
  data?: Float32Array | Uint8Array;
}

/** What a target asks of the shared lowering (default: what the wasm target renders). */
export interface LowerOptions {
  /**
   * Convolutions as implicit GEMMs: B gathered from the unpadded input (GemmKernel bLayout 'conv',
   * row-major weights) instead of pad + im2col kernels and their temp buffers, depthwise ones included.
   * For targets that render the gather themselves (webgpu); the wasm GEMM reads a materialised B.
   */
  implicitConv?: boolean;
}

/**
 * What lowering functions see: static shapes and constant values of graph values, and ways to add
 * weights and temporaries. Buffers are named after graph values; views (Reshape, Flatten, ...) alias
 * their input's buffer.
 */
export class LowerContext {
  readonly buffers = new Map<string, BufferInfo>();
  readonly kernels: Kernel[] = [];
  private readonly aliases = new Map<string, string>();
  private temps = 0;

  constructor(
    readonly types: Map<string, TypeInfo>,
    readonly constants: Map<string, Tensor>,
    private readonly opsets: Map<string, number>,
    readonly options: LowerOptions = {},
  ) {}

  opset(node: Node): number {
    return this.opsets.get(node.domain) ?? 1;
  }

  /** Static shape of a value; the WASM target compiles shape-specialised code. */
  shape(node: Node, value: string): number[] {
    const t = this.types.get(value);
    if (!t?.shape)
      throw new KilnError(`shape of '${value}' is unknown`, {
        node: node.name,
        op: node.op,
        expected:
          'a static shape (the wasm target is shape-specialised: inputs that decide a shape must be constants)',
      });
    if (t.shape.some((d) => typeof d !== 'number')) {
      throw new KilnError(`'${value}' has symbolic shape [${t.shape.join(',')}]`, {
        node: node.name,
        op: node.op,
        expected: 'static shapes (fix symbolic dims before compiling, e.g. batch=1)',
      });
    }
    return t.shape as number[];
  }

  dtype(value: string): string | undefined {
    return this.types.get(value)?.dtype;
  }

  constant(value: string): Tensor | undefined {
    return this.constants.get(value);
  }

  /** The buffer holding a value (following aliases). */
  buffer(value: string): string {
    let v = value;
    while (this.aliases.has(v)) v = this.aliases.get(v)!;
    return v;
  }

  alias(output: string, input: string): void {
    this.aliases.set(output, input);
  }

  aliasesOf(): Map<string, string> {
    return this.aliases;
  }

  /** The element type a graph value is held in (float32 and bool: f32). */
  elemType(node: Node, value: string): ElemType {
    return elemTypeOf(this.dtype(value), () => ({ node: node.name, op: node.op, value }));
  }

  /** Element type of a buffer, by name. */
  bufferType(buf: string): ElemType {
    return this.buffers.get(this.buffer(buf))?.dtype ?? 'f32';
  }

  /** Declare an activation buffer for a graph value (idempotent), of the value's element type. */
  activation(value: string, size: number, role: 'input' | 'output' | 'temp' = 'temp'): string {
    const name = this.buffer(value);
    const b = this.buffers.get(name);
    if (!b) {
      const dtype = elemTypeOf(this.dtype(value), () => ({ node: value, op: role, value }));
      this.buffers.set(name, { name, size, role, ...(dtype !== 'f32' ? { dtype } : {}) });
    } else if (role !== 'temp') b.role = role;
    return name;
  }

  /** A constant tensor as a weight buffer of its own element type. */
  constantBuffer(node: Node, value: string): string {
    const t = this.constant(value);
    if (!t)
      throw new KilnError(`'${value}' must be a constant`, {
        node: node.name,
        op: node.op,
        expected: 'an initializer',
      });
    const dtype = this.elemType(node, value);
    if (dtype === 'f32') return this.weight(value, Float32Array.from(t.data as ArrayLike<number>));
    let name = `w:${value}`;
    for (let i = 1; this.buffers.has(name); i++) name = `w:${value}#${i}`;
    this.buffers.set(name, { name, size: t.size, role: 'weight', dtype, data: weightBytes(t, dtype) });
    return name;
  }

  /** The buffer a kernel reads a value from: its weight when constant, else its activation. */
  valueBuffer(node: Node, value: string): string {
    return this.constant(value) ? this.constantBuffer(node, value) : this.buffer(value);
  }

  weight(hint: string, data: Float32Array): string {
    let name = `w:${hint}`;
    for (let i = 1; this.buffers.has(name); i++) name = `w:${hint}#${i}`;
    this.buffers.set(name, { name, size: data.length, role: 'weight', data });
    return name;
  }

  temp(hint: string, size: number, dtype: ElemType = 'f32'): string {
    const name = `t:${hint}#${this.temps++}`;
    this.buffers.set(name, { name, size, role: 'temp', ...(dtype !== 'f32' ? { dtype } : {}) });
    return name;
  }

  /** Add a kernel; loop kernels get their constants typed (resolveTypes) on the way. */
  emit(k: Kernel): void {
    if (k.kind === 'loops') resolveTypes(k, (b) => this.bufferType(b));
    this.kernels.push(k);
  }
}

/** The float32 contents of a constant input, or a clear error when it is not constant. */
export function constantF32(ctx: LowerContext, node: Node, value: string, what: string): Float32Array {
  const t = ctx.constant(value);
  if (!t) {
    throw new KilnError(`${what} ('${value}') must be a constant for the wasm target`, {
      node: node.name,
      op: node.op,
      expected: 'an initializer',
    });
  }
  if (t.dtype === 'float32') return t.data as Float32Array;
  return Float32Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
}
