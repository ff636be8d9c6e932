/**
 * Content-addressed storage for ONNX sources and artifacts: a blob is named by the sha256 of its
 * bytes and never changes. The registry depends on this interface only, so an object store (S3,
 * GCS) can replace the file-system store.
 */
export interface BlobInfo {
  sha256: string;
  bytes: number;
}

export interface PutOptions {
  /** Refuse (TooLargeError) once more bytes than this arrive; nothing is stored. */
  maxBytes?: number;
  /** Refuse (KilnError) if the content's sha256 differs, e.g. a blob from a bundle. */
  expectSha256?: string;
}

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive (as in HTTP Range). */
  end: number;
}

export interface BlobStore {
  /** Store bytes streamed from `source`; returns its name. Storing existing content is a no-op. */
  put(source: AsyncIterable<Uint8Array> | Uint8Array, options?: PutOptions): Promise<BlobInfo>;
  /** Size of a stored blob, or undefined when there is none with that name. */
  stat(sha256: string): Promise<BlobInfo | undefined>;
  /** The whole blob in memory (for parsing a model or an artifact). */
  read(sha256: string): Promise<Uint8Array>;
  /** A blob (or a byte range of it) as a stream, for downloads. */
  stream(sha256: string, range?: ByteRange): Promise<NodeJS.ReadableStream>;
  /** Every stored blob name (leftover temp files are not blobs). */
  list(): AsyncIterable<string>;
  /** Re-hash a blob: true when its bytes still match its name. */
  verify(sha256: string): Promise<boolean>;
  delete(sha256: string): Promise<void>;
}

export const SHA256_HEX = /^[0-9a-f]{64}$/;
