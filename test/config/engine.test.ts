import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/index.js';

const origin = 'keepsync.config.ts';

describe('the engine section of the config', () => {
  it('chooses the Temporal engine with its address, namespace and task queue', () => {
    const config = resolveConfig(
      {
        pipelines: [],
        engine: {
          kind: 'temporal',
          address: 'temporal.internal:7233',
          namespace: 'sync',
          taskQueue: 'prod',
        },
      },
      origin,
    );
    expect(config.engine).toMatchObject({ kind: 'temporal', taskQueue: 'prod' });
  });

  it('refuses a Temporal setting without kind temporal, an embedded one with it, and typos', () => {
    expect(() => resolveConfig({ pipelines: [], engine: { address: 'x:7233' } }, origin)).toThrow(
      /address.*add kind: 'temporal'/,
    );
    expect(() =>
      resolveConfig({ pipelines: [], engine: { kind: 'temporal', concurrency: 2 } }, origin),
    ).toThrow(/concurrency.*embedded engine/);
    expect(() =>
      resolveConfig({ pipelines: [], engine: { kind: 'temporal', taskQueu: 'q' } }, origin),
    ).toThrow(/taskQueu/);
    expect(() =>
      resolveConfig({ pipelines: [], engine: { kind: 'temporal', address: 'no-port' } }, origin),
    ).toThrow(/host:port/);
  });

  it('takes Temporal Cloud settings (API key or mTLS files) and Worker Versioning, only on kind temporal', () => {
    const config = resolveConfig(
      {
        pipelines: [],
        engine: {
          kind: 'temporal',
          address: 'ns.a1b2c.tmprl.cloud:7233',
          namespace: 'ns.a1b2c',
          apiKey: 'key-from-env',
          buildId: '2026-12-01',
          deploymentName: 'sync',
        },
      },
      origin,
    );
    expect(config.engine).toMatchObject({ apiKey: 'key-from-env', buildId: '2026-12-01' });
    expect(() =>
      resolveConfig(
        { pipelines: [], engine: { kind: 'temporal', tls: { certPath: 'c.pem', key: 'k.pem' } } },
        origin,
      ),
    ).toThrow(/key/);
    expect(() => resolveConfig({ pipelines: [], engine: { apiKey: 'k' } }, origin)).toThrow(
      /apiKey.*add kind: 'temporal'/,
    );
  });
});
