#!/usr/bin/env node
import { EXIT } from './exit-codes.js';
import { HELP_TEXT, HELP_WIDTH } from './help-text.js';

// A reader that stops early (`keepsync copy data/ - | head -3`) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.ok);
  throw error;
});

const args = process.argv.slice(2);
// `keepsync --help` prints the prebuilt text: commander and the commands' registrations cost
// more than Node's own start. A terminal narrower than the text gets commander's wrapping.
const narrow = process.stdout.isTTY && process.stdout.columns < HELP_WIDTH;
if (args.length === 1 && (args[0] === '--help' || args[0] === '-h') && !narrow) {
  process.stdout.write(HELP_TEXT);
} else {
  const { runCli } = await import('./run-cli.js');
  await runCli();
}
