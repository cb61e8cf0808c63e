// Opens a SQLite store of its own (argv[2]) with the shared key file argv[3] once it is told to
// go (a line on stdin), so several processes create the key at the same moment; prints the key.
import { readFileSync } from 'node:fs';
import { openSqliteStore } from '../../src/store/index.js';

const path = process.argv[2]!;
const keyFile = process.argv[3]!;
process.stdin.once('data', () => {
  try {
    const store = openSqliteStore({ path, keyFile });
    process.stdout.write(readFileSync(keyFile, 'utf8'));
    void store.close();
  } catch (error) {
    process.stderr.write(String(error));
    process.exitCode = 1;
  }
});
