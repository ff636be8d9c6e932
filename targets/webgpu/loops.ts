import type { Expr, LoopKernel, Stmt } from '../../compiler/kernel/ir.js';
import type { Dispatch } from './dispatch.js';
import { type Phase, phasesOf } from './parallel.js';
import {
  ROW_REDUCE_BOUNDS,
  ROW_WORKGROUP,
  type RowPlan,
  type RowReduceBounds,
  renderRowParts,
  rowPlan,
} from './row-reduce.js';
import {
  ERF_FN,
  F16_FN,
  OPAQUE_ZERO,
  Names,
  type Places,
  type Precision,
  accumulatorTypes,
  bindingsFor,
  expr,
  floatWidth,
  grid,
  index,
  place,
  storeI64,
  storeWord,
  typeOf,
  usesErf,
  usesF16,
} from './wgsl.js';

/** Threads per workgroup for loop kernels: one wave on most GPUs, small enough for lavapipe. */
const WORKGROUP = 64;

/**
 * Render a loop kernel as one compute shader per phase (see parallel.ts): the flat thread index is
 * split into the parallel loop variables (constants of the shape baked in), and the rest of the nest
 * runs as ordinary WGSL loops with accumulators as function-scope variables.
 */
export function renderLoopKernel(
  k: LoopKernel,
  places: Places,
  name: string,
  precision: Precision = 'fp32',
  rowReduce: RowReduceBounds = ROW_REDUCE_BOUNDS,
): Dispatch[] {
  return phasesOf(k).flatMap((phase, p) => {
    // an empty thread grid (a zero-size tensor) has no work, and its index split would divide by 0
    if (phase.parallel.some((l) => l.n <= 0)) return [];
    const plan = rowPlan(phase);
    const count = phase.parallel.reduce((a, l) => a * l.n, 1);
    if (plan && plan.length >= rowReduce.minLength && count <= rowReduce.maxRows)
      return renderRows(phase, plan, places, `${name}_p${p}_rows`, precision);
    const vars = new Names('v');
    const accs = new Names('a');
    const groups = Math.ceil(count / WORKGROUP);
    const [nx] = grid(groups);
    const bind = bindParallel(phase.parallel, vars, 'idx', count);
    accumulatorTypes(phase.body, places, accs);
    const body = stmts(phase.body, places, vars, accs, '  ');
    const decls = accumulatorDecls(accs);
    const source = [
      bindingsFor(precision),
      usesErf(body) ? ERF_FN : '',
      usesF16(body) ? F16_FN : '',
      `@compute @workgroup_size(${WORKGROUP})`,
      `fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {`,
      `  let idx = (wid.y * ${nx}u + wid.x) * ${WORKGROUP}u + lid;`,
      `  if (idx >= ${count}u) { return; }`,
      `  ${OPAQUE_ZERO}`,
      ...bind,
      ...decls,
      body,
      `}`,
      '',
    ].join('\n');
    return {
      name: phase.parallel.length ? `${name}_p${p}` : `${name}_p${p}_serial`,
      source,
      workgroups: grid(groups),
    };
  });
}

/** WGSL lets binding each parallel loop variable from the flat `index` over `count` (mixed radix). */
function bindParallel(parallel: Phase['parallel'], vars: Names, index: string, count: number): string[] {
  let stride = count;
  return parallel.map((l) => {
    stride /= l.n;
    return `  let ${vars.get(l.v)} = i32((${index} / ${stride}u) % ${l.n}u);`;
  });
}

/** WGSL declarations of a shader's accumulators, in their inferred types (f32 by default). */
function accumulatorDecls(accs: Names): string[] {
  return [...accs.entries()].map(([ir, a]) => `  var ${a}: ${accs.types.get(ir) ?? 'f32'};`);
}

/**
 * A row phase (row-reduce.ts) as one workgroup per row: the same shader twice, with a tree in
 * workgroup memory and with subgroup operations; the runtime picks the second where the device has
 * the `subgroups` feature.
 */
function renderRows(
  phase: Phase,
  plan: RowPlan,
  places: Places,
  name: string,
  precision: Precision,
): Dispatch {
  const rows = phase.parallel.reduce((a, l) => a * l.n, 1);
  const [nx] = grid(rows);
  const variant = (subgroups: boolean): string => {
    const vars = new Names('v');
    const accs = new Names('a');
    const bind = bindParallel(phase.parallel, vars, 'row', rows);
    accumulatorTypes(phase.body, places, accs);
    const { body, shared } = renderRowParts(
      plan,
      vars,
      accs,
      (b, indent) => stmts(b, places, vars, accs, indent),
      subgroups,
    );
    const decls = accumulatorDecls(accs);
    const builtins = subgroups
      ? ', @builtin(subgroup_invocation_id) sg_lane: u32, @builtin(subgroup_size) sg_size: u32'
      : '';
    return [
      subgroups ? 'enable subgroups;' : '',
      bindingsFor(precision),
      usesErf(body) ? ERF_FN : '',
      usesF16(body) ? F16_FN : '',
      ...shared,
      `@compute @workgroup_size(${ROW_WORKGROUP})`,
      `fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32${builtins}) {`,
      `  let row = wid.y * ${nx}u + wid.x;`,
      // uniform across the workgroup: the barriers below stay in uniform control flow
      `  if (row >= ${rows}u) { return; }`,
      `  ${OPAQUE_ZERO}`,
      ...bind,
      ...decls,
      body,
      `}`,
      '',
    ].join('\n');
  };
  return { name, source: variant(false), subgroupSource: variant(true), workgroups: grid(rows) };
}

function stmts(body: Stmt[], places: Places, vars: Names, accs: Names, indent: string): string {
  return body
    .map((s) => {
      switch (s.k) {
        case 'loop': {
          if (s.n <= 0) return '';
          const v = vars.get(s.v);
          const inner = stmts(s.body, places, vars, accs, indent + '  ');
          return `${indent}for (var ${v}: i32 = 0; ${v} < ${s.n} + zero; ${v}++) {\n${inner}\n${indent}}`;
        }
        case 'set': {
          // float accumulators are f32 in every build (an fp16 build accumulates in f32)
          const w = accs.types.get(s.acc) === 'i32' ? undefined : 'f32';
          return `${indent}${accs.get(s.acc)} = ${expr(s.value, places, vars, accs, w)};`;
        }
        case 'store': {
          const p = place(places, s.buf);
          // run-time index terms (scatters; parallel.ts runs such nests on one thread)
          const dyn = (e: Expr) => expr(e, places, vars, accs);
          if (p.type === 'i64' && s.value.k === 'cast') {
            const from = typeOf(s.value.a, places, accs);
            const at = index(s.at, 0, vars, dyn);
            const w = from === 'i32' ? undefined : 'f32';
            return `${indent}${storeI64(p, at, expr(s.value.a, places, vars, accs, w), from)}`;
          }
          // a value of constants only takes the buffer's width
          const w = floatWidth(s.value, places, accs) ?? (p.type === 'f16' ? 'f16' : 'f32');
          const value = storeWord(p, expr(s.value, places, vars, accs, w), w);
          return `${indent}${p.binding}[${index(s.at, p.offset, vars, dyn)}] = ${value};`;
        }
      }
      return '';
    })
    .filter((x) => x)
    .join('\n');
}
