import { KeepsyncError } from '../../model/index.js';

/**
 * Loads an optional peer dependency (a SaaS SDK) on first use. A missing package becomes a
 * DEPENDENCY_MISSING error that says what to install, instead of a module-resolution trace.
 */
export async function importPeer<T>(
  packageName: string,
  connector: string,
  load: () => Promise<T>,
): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as { code?: string })?.code;
    const message = (error as Error)?.message ?? '';
    if (
      (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
      message.includes(packageName)
    ) {
      throw new KeepsyncError(
        'DEPENDENCY_MISSING',
        `The ${connector} connector needs the package ${packageName}; run \`npm install ${packageName}\``,
        { cause: error },
      );
    }
    throw error;
  }
}
