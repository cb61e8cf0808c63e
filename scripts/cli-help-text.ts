/**
 * Writes src/cli/help-text.ts, the text `keepsync --help` prints without loading commander:
 * `node --import tsx scripts/cli-help-text.ts` after changing a command or an option.
 * test/cli/help-text.test.ts fails while it is stale.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderHelpText } from '../src/cli/help-render.js';

const file = join(import.meta.dirname, '../src/cli/help-text.ts');
writeFileSync(file, renderHelpText());
console.log(`wrote ${file}`);
