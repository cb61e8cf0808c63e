import * as sql from '../../src/connectors/sql/index.js';
import { openSqliteStore } from '../../src/store/index.js';
import { defineTwoWay, runTwoWay, type TwoWaySide } from '../../src/twoway/index.js';

// argv: state db, app db (tables `left_notes` and `right_notes`)
const [statePath, appPath] = process.argv.slice(2) as [string, string];

/** Slows writes down so a kill can land between a create and its checkpoint. */
function slow(side: TwoWaySide): TwoWaySide {
  return {
    ...side,
    async write(writes, signal) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      return side.write(writes, signal);
    },
  };
}

const store = openSqliteStore({ path: statePath, secretKey: new Uint8Array(32).fill(7) });
const client = sql.sqliteClient(appPath);
const side = (table: string) =>
  slow(sql.twoWaySide({ client, table, cursorColumn: 'updated_at', name: table }));
const task = defineTwoWay({
  name: 'initial',
  left: side('left_notes'),
  right: side('right_notes'),
  fields: { title: 'title' },
  batchSize: 25,
});
process.stdout.write('READY\n');
// One line per committed batch, so the test can kill at a point in the work.
const result = await runTwoWay({ store, task, onProgress: () => process.stdout.write('COMMIT\n') });
await client.close();
await store.close();
process.stdout.write(`DONE ${result.status} ${JSON.stringify(result.report)}\n`);
process.exit(result.status === 'succeeded' && result.report.failed === 0 ? 0 : 1);
