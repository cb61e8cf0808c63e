import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { temporalSettings } from '../../src/cli/temporal-settings.js';
import { resolveTemporalTarget } from '../../src/temporal/index.js';

describe('where the Temporal commands connect', () => {
  const engine = {
    kind: 'temporal' as const,
    address: 'config.host:7233',
    namespace: 'config-ns',
    taskQueue: 'config-queue',
    buildId: 'config-build',
  };
  const env = {
    TEMPORAL_ADDRESS: 'env.host:7233',
    KEEPSYNC_TASK_QUEUE: 'env-queue',
    KEEPSYNC_BUILD_ID: 'env-build',
  };

  it('takes a flag over the config, the config over the environment', () => {
    const fromConfig = temporalSettings(engine, {}, env);
    expect(fromConfig).toMatchObject({ taskQueue: 'config-queue', buildId: 'config-build' });
    expect(resolveTemporalTarget(fromConfig.target, env)).toMatchObject({
      address: 'config.host:7233',
      namespace: 'config-ns',
    });
    const flagged = temporalSettings(engine, { address: 'flag.host:1', taskQueue: 'flag-q' }, env);
    expect(flagged.taskQueue).toBe('flag-q');
    expect(resolveTemporalTarget(flagged.target, env).address).toBe('flag.host:1');
    const bare = temporalSettings({}, {}, env);
    expect(bare).toMatchObject({ taskQueue: 'env-queue', buildId: 'env-build' });
    expect(resolveTemporalTarget(bare.target, env).address).toBe('env.host:7233');
  });

  it('turns TLS on for an API key, reads mTLS files, and names a file it cannot read', () => {
    const cloud = temporalSettings({ kind: 'temporal', apiKey: 'secret' }, {}, {});
    expect(resolveTemporalTarget(cloud.target, {})).toMatchObject({ apiKey: 'secret', tls: true });

    const dir = mkdtempSync(join(tmpdir(), 'keepsync-mtls-'));
    writeFileSync(join(dir, 'client.pem'), 'CERT');
    writeFileSync(join(dir, 'client.key'), 'KEY');
    const mtls = temporalSettings(
      {
        kind: 'temporal',
        tls: { certPath: join(dir, 'client.pem'), keyPath: join(dir, 'client.key') },
      },
      {},
      {},
    );
    const tls = resolveTemporalTarget(mtls.target, {}).tls as {
      clientCertPair: { crt: Buffer; key: Buffer };
    };
    expect(tls.clientCertPair.crt.toString()).toBe('CERT');
    expect(tls.clientCertPair.key.toString()).toBe('KEY');

    const missing = temporalSettings(
      {
        kind: 'temporal',
        tls: { certPath: join(dir, 'nope.pem'), keyPath: join(dir, 'client.key') },
      },
      {},
      {},
    );
    expect(() => resolveTemporalTarget(missing.target, {})).toThrow(
      /Cannot read the Temporal mTLS client certificate file .*nope\.pem/,
    );
  });
});
