import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { HELP_TEXT, HELP_WIDTH } from '../../src/cli/help-text.js';
import { createProgram } from '../../src/cli/program.js';
import { keepsync } from '../support/cli.js';

describe('the prebuilt --help text', () => {
  it('is what commander prints for the current commands (else run scripts/cli-help-text.ts)', () => {
    const program = createProgram(() => {});
    program.configureOutput({ getOutHelpWidth: () => HELP_WIDTH });

    expect(HELP_TEXT).toBe(program.helpInformation());
  });

  it('is what the built CLI prints for --help and -h, and commander answers `help` alike', async () => {
    const long = await keepsync(tmpdir(), '--help');
    const short = await keepsync(tmpdir(), '-h');
    const viaCommander = await keepsync(tmpdir(), 'help');

    expect(long.stdout).toBe(HELP_TEXT);
    expect(short.stdout).toBe(HELP_TEXT);
    expect(viaCommander.stdout).toBe(HELP_TEXT);
    expect(long.code).toBe(0);
  }, 60_000);
});
