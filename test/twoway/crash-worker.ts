import * as files from '../../src/connectors/files/index.js';
import * as sql from '../../src/connectors/sql/index.js';
import { openSqliteStore } from '../../src/store/index.js';
import { defineTwoWay, runTwoWay, type TwoWaySide } from '../../src/twoway/index.js';

// argv: state db, app db (SQL side), directory (files side)
const [statePath, appPath, dir] = process.argv.slice(2) as [string, string, string];

/** Slows writes down so a kill lands between a write and its checkpoint. */
function slow(side: TwoWaySide): TwoWaySide {
  return {
    ...side,
    async write(writes, signal) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      return side.write(writes, signal);
    },
  };
}

const store = openSqliteStore({ path: statePath, secretKey: new Uint8Array(32).fill(9) });
const client = sql.sqliteClient(appPath);
const task = defineTwoWay({
  name: 'crash',
  left: slow(sql.twoWaySide({ client, table: 'notes', cursorColumn: 'updated_at' })),
  right: slow(files.twoWaySide({ dir })),
  fields: { title: 'title', state: 'state' },
  deletes: { left: 'propagate', right: 'propagate' },
  batchSize: 25,
});
process.stdout.write('READY\n');
const result = await runTwoWay({ store, task });
await client.close();
await store.close();
process.stdout.write(`DONE ${result.status} ${JSON.stringify(result.report)}\n`);
process.exit(result.status === 'succeeded' && result.report.failed === 0 ? 0 : 1);
