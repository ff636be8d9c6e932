/**
 * Window geometry shared by Conv, ConvTranspose and the pools: reading kernel/stride/dilation/pad
 * attributes and computing output sizes and effective pads (auto_pad, ceil_mode) per the ONNX spec.
 */
import { attrInt, attrIntsOpt, attrString } from '../../../ir/attrs.js';
import type { Dim, Node } from '../../../ir/graph.js';
import type { InferContext } from '../../op.js';
import { opError } from '../common.js';

export type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';

export interface WindowAttrs {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** Explicit pads as [begin..., end...] (zeros when auto_pad is set). */
  pads: number[];
  autoPad: AutoPad;
  ceilMode: boolean;
}

function intsOfLength(node: Node, name: string, n: number, dflt: number, min: number): number[] {
  const v = attrIntsOpt(node, name);
  if (v === undefined) return new Array<number>(n).fill(dflt);
  if (v.length !== n)
    throw opError(node, `attribute '${name}' has ${v.length} values`, `${n} values (one per spatial axis)`);
  for (const x of v)
    if (!Number.isInteger(x) || x < min)
      throw opError(node, `attribute '${name}' has value ${x}`, `integers >= ${min}`);
  return v;
}

/**
 * Read window attributes for `nSpatial` spatial axes. `kernelFallback` supplies kernel_shape when the
 * attribute is absent (Conv takes it from W); pools require the attribute.
 */
export function readWindow(node: Node, nSpatial: number, kernelFallback?: number[]): WindowAttrs {
  let kernel = attrIntsOpt(node, 'kernel_shape');
  if (kernel === undefined) {
    if (!kernelFallback) throw opError(node, `missing required attribute 'kernel_shape'`, 'ints');
    kernel = kernelFallback;
  }
  if (kernel.length !== nSpatial)
    throw opError(
      node,
      `kernel_shape has ${kernel.length} values but the input has ${nSpatial} spatial axes`,
    );
  for (const k of kernel)
    if (!Number.isInteger(k) || k < 1) throw opError(node, `kernel_shape has value ${k}`, '>= 1');
  const strides = intsOfLength(node, 'strides', nSpatial, 1, 1);
  const dilations = intsOfLength(node, 'dilations', nSpatial, 1, 1);
  const pads = intsOfLength(node, 'pads', 2 * nSpatial, 0, 0);
  const autoPad = attrString(node, 'auto_pad', 'NOTSET') as AutoPad;
  if (!['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'].includes(autoPad))
    throw opError(node, `auto_pad is '${autoPad}'`, 'NOTSET, SAME_UPPER, SAME_LOWER or VALID');
  const ceilMode = attrInt(node, 'ceil_mode', 0) !== 0;
  return { kernel, strides, dilations, pads, autoPad, ceilMode };
}

export interface WindowGeometry {
  out: number[];
  padBegin: number[];
  padEnd: number[];
}

/** Output spatial sizes and effective pads for input spatial sizes `inSp`. */
export function windowGeometry(node: Node, inSp: readonly number[], w: WindowAttrs): WindowGeometry {
  const n = inSp.length;
  const out: number[] = [];
  const padBegin: number[] = [];
  const padEnd: number[] = [];
  for (let i = 0; i < n; i++) {
    const size = inSp[i]!;
    const s = w.strides[i]!;
    const eff = (w.kernel[i]! - 1) * w.dilations[i]! + 1;
    let o: number;
    let pb = 0;
    let pe = 0;
    if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') {
      o = Math.ceil(size / s);
      const total = Math.max(0, (o - 1) * s + eff - size);
      const half = Math.floor(total / 2);
      pb = w.autoPad === 'SAME_UPPER' ? half : total - half;
      pe = total - pb;
    } else if (w.autoPad === 'VALID') {
      o = Math.floor((size - eff) / s) + 1;
    } else {
      pb = w.pads[i]!;
      pe = w.pads[i + n]!;
      const span = size + pb + pe - eff;
      if (w.ceilMode) {
        o = Math.ceil(span / s) + 1;
        // A window may not start inside the end padding (the last one would see padding only).
        if ((o - 1) * s >= size + pb) o--;
      } else o = Math.floor(span / s) + 1;
    }
    if (o < 1)
      throw opError(
        node,
        `spatial axis ${i} of size ${size} is too small for a window of ${eff} (pads ${pb}+${pe})`,
        'an output size of at least 1',
      );
    out.push(o);
    padBegin.push(pb);
    padEnd.push(pe);
  }
  return { out, padBegin, padEnd };
}

/** Symbolic spatial output sizes: known where the input size is static, fresh symbols otherwise. */
export function inferWindowDims(ctx: InferContext, inSp: Dim[], w: WindowAttrs): Dim[] {
  return inSp.map((d, i) => {
    if (typeof d !== 'number') return ctx.freshDim();
    return windowGeometry(ctx.node, [d], sliceAxis(w, i, inSp.length)).out[0]!;
  });
}

function sliceAxis(w: WindowAttrs, i: number, n: number): WindowAttrs {
  return {
    ...w,
    kernel: [w.kernel[i]!],
    strides: [w.strides[i]!],
    dilations: [w.dilations[i]!],
    pads: [w.pads[i]!, w.pads[i + n]!],
  };
}
