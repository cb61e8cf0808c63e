#!/usr/bin/env node
import { CommanderError } from 'commander';
import { isKeepsyncError } from '../model/index.js';
import { EXIT } from './exit-codes.js';
import { createProgram } from './program.js';

async function main(): Promise<void> {
  const program = createProgram((code) => {
    process.exitCode = code;
  });
  program.exitOverride();
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    // A user's mistake gets its message, not a stack trace.
    if (isKeepsyncError(error)) {
      process.stderr.write(`keepsync: ${error.message}\n`);
      process.exitCode =
        error.code === 'CONFIG_INVALID' ||
        error.code === 'CONNECTOR_UNKNOWN' ||
        error.code === 'NOT_FOUND'
          ? EXIT.usage
          : EXIT.runFailed;
      return;
    }
    throw error;
  }
}

await main();
