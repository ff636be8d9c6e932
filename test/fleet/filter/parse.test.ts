import { describe, expect, it } from 'vitest';
import { type FilterSubject, matches } from '../../../fleet/filter/evaluate.js';
import { FilterSyntaxError, parseFilter } from '../../../fleet/filter/parse.js';

const device = (over: Partial<FilterSubject> = {}): FilterSubject => ({
  name: 'cam-1',
  group: 'all',
  target: 'wasm',
  runtimeVersion: '0.1.0',
  features: ['simd'],
  tags: { site: 'berlin', tier: 'edge' },
  ...over,
});

describe('device filter parser', () => {
  it('parses the documented grammar with or < and < not precedence', () => {
    expect(parseFilter('target == "wasm" or tag.site == "berlin" and not runtime >= "0.2"')).toEqual({
      kind: 'or',
      left: { kind: 'compare', field: 'target', op: '==', value: 'wasm' },
      right: {
        kind: 'and',
        left: { kind: 'compare', field: 'tag.site', op: '==', value: 'berlin' },
        right: { kind: 'not', operand: { kind: 'compare', field: 'runtime', op: '>=', value: '0.2' } },
      },
    });
    expect(parseFilter('(target == "wasm" or target == "webgpu") and tag.site in ["a", "b\\"c"]')).toEqual({
      kind: 'and',
      left: {
        kind: 'or',
        left: { kind: 'compare', field: 'target', op: '==', value: 'wasm' },
        right: { kind: 'compare', field: 'target', op: '==', value: 'webgpu' },
      },
      right: { kind: 'in', field: 'tag.site', values: ['a', 'b"c'] },
    });
  });

  const bad: [string, number, RegExp][] = [
    ['', 0, /found the end.*expected: a field/],
    ['target == wasm', 10, /found 'wasm'.*expected: a "quoted string"/],
    ['target = "wasm"', 7, /unexpected character '='/],
    ['target == "wasm" and', 20, /found the end/],
    ['(target == "wasm"', 17, /found the end.*'\)' to close the '\(' at position 0/],
    ['target == "wasm")', 16, /found '\)'.*'and', 'or' or the end/],
    ['colour == "red"', 0, /unknown field 'colour'.*target, runtime, name, group, tag.KEY or feature.NAME/],
    ['tag. == "x"', 0, /unknown field 'tag.'/],
    ['tag.site == "berlin', 12, /unterminated string/],
    ['tag.site in ["a",]', 17, /found '\]'.*"quoted string"/],
    ['tag.site in "a"', 12, /'\[' starting a list/],
    ['runtime >= "latest"', 11, /'>=' compares versions, and "latest" is not one/],
    ['target == "a\\n"', 12, /unknown escape \\n/],
    ['not', 3, /found the end/],
    ['target "wasm"', 7, /an operator: == != < <= > >= in/],
  ];
  for (const [src, position, message] of bad) {
    it(`refuses ${JSON.stringify(src)} at position ${position}`, () => {
      let err: unknown;
      try {
        parseFilter(src);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FilterSyntaxError);
      expect((err as FilterSyntaxError).position).toBe(position);
      expect((err as Error).message).toMatch(new RegExp(`^invalid filter at position ${position} of `));
      expect((err as Error).message).toMatch(message);
    });
  }
});

describe('device filter evaluation', () => {
  const cases: [string, boolean][] = [
    ['target == "wasm" and tag.site == "berlin" and runtime >= "0.1.0"', true],
    ['target == "webgpu"', false],
    ['target != "webgpu"', true],
    ['tag.site in ["paris", "berlin"]', true],
    ['tag.site in ["paris"]', false],
    ['tag.missing == "x"', false],
    ['tag.missing != "x"', true], // an absent tag equals no value
    ['tag.missing in ["x"]', false],
    ['not tag.tier == "edge"', false],
    ['feature.simd == "true" and not feature.threads == "true"', true],
    ['runtime >= "0.1"', true], // 0.1 == 0.1.0
    ['runtime > "0.1.0"', false],
    ['runtime < "0.10.0"', true], // numeric, not lexicographic
    ['runtime <= "0.0.9"', false],
    ['tag.tier >= "1.0"', false], // "edge" is no version: ordering never holds
    ['name == "cam-1" and group == "all"', true],
    ['(tag.site == "paris" or tag.tier == "edge") and target == "wasm"', true],
  ];
  for (const [src, expected] of cases) {
    it(`${src} → ${expected}`, () => expect(matches(parseFilter(src), device())).toBe(expected));
  }

  it('compares runtime versions by number', () => {
    const f = parseFilter('runtime >= "0.9.0"');
    expect(matches(f, device({ runtimeVersion: '0.10.0' }))).toBe(true);
    expect(matches(f, device({ runtimeVersion: '0.8.12' }))).toBe(false);
    expect(matches(f, device({ runtimeVersion: 'dev' }))).toBe(false);
  });
});
