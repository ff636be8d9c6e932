/** JSON schemas of the API: fastify validates requests against them and @fastify/swagger documents them. */
const tensor = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    dtype: { type: 'string' },
    shape: { type: 'array', items: { type: ['integer', 'string'] } },
  },
} as const;

export const error = {
  type: 'object',
  properties: { error: { type: 'string' } },
  required: ['error'],
} as const;

export const modelName = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' } as const;
export const versionRef = { type: 'string', pattern: '^(\\d+|latest|[a-z][a-z0-9_-]{0,63})$' } as const;
export const aliasName = { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,63}$' } as const;
export const sha256 = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;

export const model = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    description: { type: 'string' },
    tags: { type: 'object', additionalProperties: { type: 'string' } },
    createdAt: { type: 'string' },
    createdBy: { type: 'string' },
    latestVersion: { type: 'integer' },
    aliases: { type: 'object', additionalProperties: { type: 'integer' } },
  },
} as const;

export const version = {
  type: 'object',
  properties: {
    model: { type: 'string' },
    version: { type: 'integer' },
    source: {
      type: 'object',
      properties: { sha256: { type: 'string' }, bytes: { type: 'integer' }, name: { type: 'string' } },
    },
    inputs: { type: 'array', items: tensor },
    outputs: { type: 'array', items: tensor },
    metrics: { type: 'object', additionalProperties: { type: 'number' } },
    params: { type: 'object', additionalProperties: true },
    createdAt: { type: 'string' },
    createdBy: { type: 'string' },
    lineage: {
      type: 'object',
      properties: {
        parentVersion: { type: 'integer' },
        dataset: { type: 'string' },
        trainingRun: { type: 'string' },
      },
    },
    approval: {
      type: 'object',
      properties: {
        status: { type: 'string' },
        by: { type: 'string' },
        at: { type: 'string' },
        reason: { type: 'string' },
      },
    },
    aliases: { type: 'array', items: { type: 'string' } },
  },
} as const;

export const variant = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    model: { type: 'string' },
    version: { type: 'integer' },
    target: { type: 'string' },
    features: { type: 'array', items: { type: 'string' } },
    precision: { type: 'string' },
    compilerVersion: { type: 'string' },
    options: { type: 'object', additionalProperties: true },
    artifact: { type: 'object', properties: { sha256: { type: 'string' }, bytes: { type: 'integer' } } },
    manifestSha256: { type: 'string' },
    createdAt: { type: 'string' },
    createdBy: { type: 'string' },
    signatures: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          keyId: { type: 'string' },
          signature: { type: 'string' },
          createdAt: { type: 'string' },
        },
      },
    },
  },
} as const;

export const benchmarkInput = {
  type: 'object',
  required: ['hardwareId', 'hardware', 'latencyMedianMs', 'latencyP90Ms'],
  additionalProperties: false,
  properties: {
    hardwareId: { type: 'string', minLength: 1, maxLength: 128 },
    hardware: { type: 'string', maxLength: 1024 },
    latencyMedianMs: { type: 'number', minimum: 0 },
    latencyP90Ms: { type: 'number', minimum: 0 },
    throughput: { type: 'number', minimum: 0 },
    peakMemoryBytes: { type: 'integer', minimum: 0 },
    measuredAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const benchmark = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    variantId: { type: 'integer' },
    ...benchmarkInput.properties,
    recordedBy: { type: 'string' },
  },
} as const;

export const aliasEvent = {
  type: 'object',
  properties: {
    alias: { type: 'string' },
    version: { type: ['integer', 'null'] },
    previousVersion: { type: ['integer', 'null'] },
    changedAt: { type: 'string' },
    actor: { type: 'string' },
  },
} as const;
