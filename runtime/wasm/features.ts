/**
 * Feature detection by validating tiny hand-assembled modules (the runtime carries no assembler).
 * relaxed-SIMD: (func (result v128) v128.const 0 ×3  f32x4.relaxed_madd)
 */
const V128_ZERO = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
const RELAXED_MADD_MODULE = new Uint8Array([
  0x00,
  0x61,
  0x73,
  0x6d,
  0x01,
  0x00,
  0x00,
  0x00, // magic, version
  0x01,
  0x05,
  0x01,
  0x60,
  0x00,
  0x01,
  0x7b, // type section: () -> v128
  0x03,
  0x02,
  0x01,
  0x00, // function section
  0x0a,
  0x3d,
  0x01,
  0x3b,
  0x00, // code section, one body of 59 bytes, no locals
  ...V128_ZERO,
  ...V128_ZERO,
  ...V128_ZERO,
  0xfd,
  0x85,
  0x02, // f32x4.relaxed_madd
  0x0b,
]);

export function hasRelaxedSimd(): boolean {
  try {
    return WebAssembly.validate(RELAXED_MADD_MODULE);
  } catch {
    return false;
  }
}
