import { CommanderError } from 'commander';
import { explainError } from './errors.js';
import { EXIT } from './exit-codes.js';
import { createProgram } from './program.js';

/** The whole command line: commander with every command registered. */
export async function runCli(): Promise<void> {
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
    const explained = explainError(error);
    if (!explained) throw error;
    process.stderr.write(`keepsync: ${explained.message}\n`);
    process.exitCode = explained.exitCode;
  }
}
