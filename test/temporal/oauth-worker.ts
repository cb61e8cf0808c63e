import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { installTokenBroker } from '../../src/connectors/support/index.js';
import { openSqliteStore } from '../../src/store/index.js';
import {
  createKeepsyncWorker,
  keepsyncDataConverter,
  parseCodecKeys,
  temporalTokenBroker,
} from '../../src/temporal/index.js';
import { notionPipelines } from './oauth-pipelines.js';

// argv: address, task queue, bundle path, state db, fake Notion url, data source id,
// owner|local, pipeline name prefix
const [address, taskQueue, bundlePath, statePath, notionUrl, dataSourceId, mode, prefix] =
  process.argv.slice(2) as [string, string, string, string, string, string, string, string];

const store = openSqliteStore({ path: statePath, secretKey: new Uint8Array(32).fill(5) });
const pipelines = notionPipelines({ store, notionUrl, dataSourceId, prefix });
const codecKeys = parseCodecKeys(process.env.KEEPSYNC_CODEC_KEYS ?? '');
const client = new Client({
  connection: await Connection.connect({ address }),
  dataConverter: keepsyncDataConverter(codecKeys),
});
// `local`: each process refreshes from the store by itself, as without the token workflow.
if (mode === 'owner') installTokenBroker(temporalTokenBroker(client));
const connection = await NativeConnection.connect({ address });
const worker = await createKeepsyncWorker({
  connection,
  taskQueue,
  store,
  pipelines,
  codecKeys,
  workflowBundle: { codePath: bundlePath },
  leaseTtlMs: 5_000,
});
const running = worker.run();
process.stdout.write('READY\n');
process.once('SIGTERM', () => worker.shutdown());
await running;
await connection.close();
await client.connection.close();
await store.close();
