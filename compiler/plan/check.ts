import { type InPlaceHint, type PlanTensor, liveRange, rangesOverlap } from './tensor-lifetime.js';

/** What checkPlan needs from a plan (MemoryPlan has all of it). */
export interface CheckablePlan {
  offsets: ReadonlyMap<string, number>;
  arenaBytes: number;
  stepCount: number;
  alignment: number;
  inPlace: readonly InPlaceHint[];
}

/**
 * Independent check of a memory plan: every tensor placed inside the arena at an aligned offset,
 * and no two tensors that are live at the same step share a byte — except an in-place pair the
 * plan declares, which must itself be legal (same size, same offset, the input an intermediate
 * that dies at the step the output is written). Returns the problems found; empty means valid.
 */
export function checkPlan(plan: CheckablePlan, tensors: readonly PlanTensor[]): string[] {
  const problems: string[] = [];
  const ids = new Set(tensors.map((t) => t.id));
  for (const id of plan.offsets.keys()) {
    if (!ids.has(id)) problems.push(`offset given for unknown tensor '${id}'`);
  }
  for (const t of tensors) {
    const offset = plan.offsets.get(t.id);
    const alignment = Math.max(t.alignment ?? 1, plan.alignment);
    if (offset === undefined) problems.push(`tensor '${t.id}' has no offset`);
    else if (!Number.isSafeInteger(offset) || offset < 0)
      problems.push(`tensor '${t.id}' has offset ${offset}`);
    else if (offset % alignment !== 0)
      problems.push(`tensor '${t.id}' at ${offset} is not ${alignment}-aligned`);
    else if (offset + t.bytes > plan.arenaBytes) {
      problems.push(
        `tensor '${t.id}' ends at ${offset + t.bytes}, past the arena (${plan.arenaBytes} bytes)`,
      );
    }
  }
  if (problems.length) return problems;

  const byId = new Map(tensors.map((t) => [t.id, t]));
  const sharing = new Set<string>();
  for (const hint of plan.inPlace) {
    const problem = inPlaceProblem(hint, byId, plan);
    if (problem) problems.push(problem);
    else sharing.add(pairKey(hint.output, hint.input));
  }

  const live = tensors.map((t) => liveRange(t, plan.stepCount));
  for (let i = 0; i < tensors.length; i++) {
    const a = tensors[i]!;
    const aStart = plan.offsets.get(a.id)!;
    for (let j = i + 1; j < tensors.length; j++) {
      const b = tensors[j]!;
      if (!rangesOverlap(live[i]!, live[j]!) || a.bytes === 0 || b.bytes === 0) continue;
      const bStart = plan.offsets.get(b.id)!;
      if (aStart >= bStart + b.bytes || bStart >= aStart + a.bytes) continue;
      if (sharing.has(pairKey(a.id, b.id))) continue;
      problems.push(
        `tensors '${a.id}' [${aStart}, ${aStart + a.bytes}) and '${b.id}' [${bStart}, ${bStart + b.bytes}) ` +
          `overlap in memory while both are live`,
      );
    }
  }
  return problems;
}

function inPlaceProblem(
  hint: InPlaceHint,
  byId: Map<string, PlanTensor>,
  plan: CheckablePlan,
): string | undefined {
  const out = byId.get(hint.output);
  const inp = byId.get(hint.input);
  const name = `in-place pair '${hint.output}' over '${hint.input}'`;
  if (!out || !inp) return `${name} names an unknown tensor`;
  if (inp.kind !== 'intermediate') return `${name} overwrites a model ${inp.kind}`;
  if (out.bytes !== inp.bytes) return `${name} has different sizes`;
  if (plan.offsets.get(out.id) !== plan.offsets.get(inp.id)) return `${name} has different offsets`;
  if (liveRange(inp, plan.stepCount).last !== liveRange(out, plan.stepCount).first) {
    return `${name}: the input is still read after the output is written`;
  }
  return undefined;
}

function pairKey(x: string, y: string): string {
  return x < y ? `${x}\u0000${y}` : `${y}\u0000${x}`;
}
