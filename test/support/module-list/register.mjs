// `node --import <this file>`: appends every module the process loads to $KEEPSYNC_MODULE_LIST,
// one URL or path a line. ES modules come from a resolve hook; CommonJS ones (a `require()`
// inside a CommonJS package or through createRequire passes no ESM hook) from the require cache
// at exit.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const list = process.env.KEEPSYNC_MODULE_LIST;
if (!list) throw new Error('KEEPSYNC_MODULE_LIST names no file');
register('./hooks.mjs', import.meta.url, { data: { list } });
const require = createRequire(import.meta.url);
process.on('exit', () => {
  appendFileSync(list, Object.keys(require.cache).join('\n'));
});
