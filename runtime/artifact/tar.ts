import { KilnError } from '../errors.js';

/**
 * A minimal POSIX ustar (IEEE 1003.1-1988) writer and a strict reader, enough for .kiln artifacts:
 * regular files only, paths of at most 100 bytes (the ustar `name` field; no `prefix`), no
 * directories or links. Standard `tar` reads what we write and we read what `tar --format=ustar`
 * writes for such files. No Node built-ins: this runs in browsers too.
 */

export interface TarEntry {
  path: string;
  data: Uint8Array;
}

export interface TarEntryHeader {
  path: string;
  /** Data bytes (without the padding to 512). */
  size: number;
}

const BLOCK = 512;
/** 11 octal digits in the `size` field. */
const MAX_FILE_BYTES = 8 ** 11 - 1;
export const MAX_TAR_PATH_BYTES = 100;

const utf8 = new TextEncoder();

/** Pack entries in order; `mtime` (seconds since 1970) goes in every header so output is reproducible. */
export function packTar(entries: readonly TarEntry[], mtime: number): Uint8Array {
  let total = 2 * BLOCK;
  for (const e of entries) total += BLOCK + paddedSize(e.data.length);
  const out = new Uint8Array(total);
  let pos = 0;
  for (const e of entries) {
    out.set(header(e.path, e.data.length, mtime), pos);
    out.set(e.data, pos + BLOCK);
    pos += BLOCK + paddedSize(e.data.length);
  }
  return out; // the last two blocks are already zero: the end-of-archive marker
}

function header(path: string, size: number, mtime: number): Uint8Array {
  const name = utf8.encode(path);
  if (name.length === 0 || name.length > MAX_TAR_PATH_BYTES) {
    throw new KilnError(`tar entry path '${path}' is ${name.length} bytes`, {
      expected: `1..${MAX_TAR_PATH_BYTES} bytes`,
    });
  }
  if (size > MAX_FILE_BYTES) {
    throw new KilnError(`tar entry '${path}' is ${size} bytes`, {
      expected: `at most ${MAX_FILE_BYTES} bytes`,
    });
  }
  const h = new Uint8Array(BLOCK);
  h.set(name, 0);
  putOctal(h, 100, 8, 0o644); // mode
  putOctal(h, 108, 8, 0); // uid
  putOctal(h, 116, 8, 0); // gid
  putOctal(h, 124, 12, size);
  putOctal(h, 136, 12, Math.max(0, Math.floor(mtime)));
  h[156] = 0x30; // typeflag '0': regular file
  h.set(ascii('ustar\0'), 257);
  h.set(ascii('00'), 263);
  putOctal(h, 329, 8, 0); // devmajor
  putOctal(h, 337, 8, 0); // devminor
  // checksum: computed with its own field as spaces, stored as 6 digits, NUL, space (as GNU tar does)
  h.fill(0x20, 148, 156);
  h.set(ascii(checksum(h).toString(8).padStart(6, '0') + '\0 '), 148);
  return h;
}

/**
 * Read a ustar archive strictly: every header's checksum, magic and type, data padding and the
 * end-of-archive marker are checked, and nothing but zero blocks may follow the marker. Errors
 * name the entry and the byte offset; `file` names the archive in them.
 */
export function unpackTar(bytes: Uint8Array, file?: string): TarEntry[] {
  function fail(message: string, expected?: string): never {
    throw new KilnError(message, { ...(file ? { file } : {}), ...(expected ? { expected } : {}) });
  }
  if (bytes.length === 0) fail('the artifact is empty', 'a ustar archive');
  const entries: TarEntry[] = [];
  const seen = new Set<string>();
  let pos = 0;
  for (;;) {
    if (pos + BLOCK > bytes.length) {
      fail(
        `the artifact is truncated at byte ${bytes.length}: no end-of-archive marker`,
        'two zero blocks at the end',
      );
    }
    const h = bytes.subarray(pos, pos + BLOCK);
    const head = readTarHeader(h, pos, file);
    if (!head) break;
    const { path, size } = head;
    const entry = `entry '${path}'`;
    const start = pos + BLOCK;
    const end = start + paddedSize(size);
    if (start + size > bytes.length) {
      fail(
        `${entry} is truncated: it needs ${size} bytes but the artifact ends ${bytes.length - start} bytes in`,
      );
    }
    if (end > bytes.length) fail(`the artifact is truncated in the padding after ${entry}`);
    if (!isZero(bytes.subarray(start + size, end)))
      fail(`${entry} has non-zero padding`, 'zero bytes up to the next 512-byte block');
    if (seen.has(path)) fail(`${entry} appears twice`);
    seen.add(path);
    entries.push({ path, data: bytes.subarray(start, start + size) });
    pos = end;
  }
  if (pos + 2 * BLOCK > bytes.length)
    fail('the artifact is truncated inside its end-of-archive marker', 'two zero blocks');
  if (bytes.length % BLOCK !== 0 || !isZero(bytes.subarray(pos))) {
    fail(
      `unexpected data after the end-of-archive marker at byte ${pos}`,
      'only zero blocks after the marker',
    );
  }
  return entries;
}

/**
 * One ustar header block, checked as strictly as `unpackTar` does (checksum, magic, regular file,
 * no prefix, octal size): the entry's path and data size, or undefined for a zero block (the end
 * marker). `pos` is the block's byte offset, for the error messages.
 */
export function readTarHeader(h: Uint8Array, pos: number, file?: string): TarEntryHeader | undefined {
  function fail(message: string, expected?: string): never {
    throw new KilnError(message, { ...(file ? { file } : {}), ...(expected ? { expected } : {}) });
  }
  if (h.length !== BLOCK) fail(`tar header at byte ${pos} is ${h.length} bytes`, `${BLOCK} bytes`);
  if (isZero(h)) return undefined;
  const where = `tar header at byte ${pos}`;
  const stored = /^([0-7]{6})\0 $/.exec(latin1(h.subarray(148, 156)));
  if (!stored || parseInt(stored[1]!, 8) !== checksum(h)) {
    fail(`${where} is corrupt: its checksum does not match`, 'an intact ustar header');
  }
  if (latin1(h.subarray(257, 265)) !== 'ustar\u000000')
    fail(`${where} is not ustar`, "magic 'ustar' version '00'");
  const path = cString(h.subarray(0, 100));
  if (path === undefined) fail(`${where} has a malformed name`, 'a NUL-terminated UTF-8 path');
  const entry = `entry '${path}'`;
  if (h[156] !== 0x30)
    fail(`${entry} is not a regular file (type '${String.fromCharCode(h[156]!)}')`, "type '0'");
  if (!isZero(h.subarray(345, 500)))
    fail(`${entry} uses the ustar prefix field`, `paths of at most ${MAX_TAR_PATH_BYTES} bytes`);
  const sizeField = /^([0-7]{1,12})[\0 ]*$/.exec(latin1(h.subarray(124, 136)));
  if (!sizeField) fail(`${entry} has a malformed size field`, 'octal digits');
  return { path, size: parseInt(sizeField[1]!, 8) };
}

/** Where an entry's data starts: its header's offset plus one block. */
export const TAR_BLOCK = BLOCK;

/** The bytes an entry of `size` data bytes takes after its header (data padded to 512). */
export function paddedSize(n: number): number {
  return Math.ceil(n / BLOCK) * BLOCK;
}

function putOctal(h: Uint8Array, offset: number, width: number, value: number): void {
  h.set(ascii(value.toString(8).padStart(width - 1, '0') + '\0'), offset);
}

function checksum(h: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  return sum;
}

function isZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

function latin1(b: Uint8Array): string {
  return String.fromCharCode(...b);
}

/** A NUL-terminated UTF-8 field (everything after the NUL also NUL), or undefined if malformed. */
function cString(field: Uint8Array): string | undefined {
  const nul = field.indexOf(0);
  const end = nul < 0 ? field.length : nul;
  if (end === 0 || !isZero(field.subarray(end))) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(field.subarray(0, end));
  } catch {
    return undefined;
  }
}
