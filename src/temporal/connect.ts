import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { KeepsyncError } from '../model/index.js';
import { type CodecKey, parseCodecKeys } from './codec.js';
import { keepsyncDataConverter } from './worker.js';

export interface TemporalTarget {
  /** host:port of the frontend. @default TEMPORAL_ADDRESS or localhost:7233 */
  address?: string | undefined;
  /** @default TEMPORAL_NAMESPACE or 'default' */
  namespace?: string | undefined;
  /** Temporal Cloud API key (TLS on). @default TEMPORAL_API_KEY */
  apiKey?: string | undefined;
  /** mTLS client certificate and key files. @default TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY */
  tlsCertPath?: string | undefined;
  tlsKeyPath?: string | undefined;
  /** @default KEEPSYNC_CODEC_KEYS parsed by parseCodecKeys */
  codecKeys?: readonly CodecKey[] | undefined;
}

export interface ResolvedTemporalTarget {
  readonly address: string;
  readonly namespace: string;
  readonly apiKey: string | undefined;
  readonly tls: { clientCertPair: { crt: Buffer; key: Buffer } } | boolean;
  readonly codecKeys: readonly CodecKey[];
}

/** Fills a target from the environment, as every worker, starter and CLI must agree. */
export function resolveTemporalTarget(
  target: TemporalTarget = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedTemporalTarget {
  const apiKey = target.apiKey ?? env.TEMPORAL_API_KEY;
  const certPath = target.tlsCertPath ?? env.TEMPORAL_TLS_CERT;
  const keyPath = target.tlsKeyPath ?? env.TEMPORAL_TLS_KEY;
  const tls =
    certPath && keyPath
      ? {
          clientCertPair: {
            crt: readTlsFile(certPath, 'certificate'),
            key: readTlsFile(keyPath, 'key'),
          },
        }
      : Boolean(apiKey);
  return {
    address: target.address ?? env.TEMPORAL_ADDRESS ?? 'localhost:7233',
    namespace: target.namespace ?? env.TEMPORAL_NAMESPACE ?? 'default',
    apiKey,
    tls,
    codecKeys:
      target.codecKeys ?? (env.KEEPSYNC_CODEC_KEYS ? parseCodecKeys(env.KEEPSYNC_CODEC_KEYS) : []),
  };
}

function readTlsFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Cannot read the Temporal mTLS client ${what} file ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** A client with keepsync's data converter (the codec when keys are set). */
export async function connectTemporalClient(target: ResolvedTemporalTarget): Promise<Client> {
  const connection = await Connection.connect({
    address: target.address,
    tls: target.tls,
    ...(target.apiKey ? { apiKey: target.apiKey } : {}),
  });
  return new Client({
    connection,
    namespace: target.namespace,
    dataConverter: keepsyncDataConverter(target.codecKeys),
  });
}

/** The connection a worker polls on. */
export function connectTemporalWorker(target: ResolvedTemporalTarget): Promise<NativeConnection> {
  return NativeConnection.connect({
    address: target.address,
    tls: target.tls,
    ...(target.apiKey ? { apiKey: target.apiKey } : {}),
  });
}
