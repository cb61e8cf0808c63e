import { KeepsyncError } from '../model/index.js';

export type TemporalModule = typeof import('../temporal/index.js');

/** The Temporal SDK is an optional peer: load it only when a Temporal command runs. */
export async function loadTemporal(): Promise<TemporalModule> {
  try {
    return await import('../temporal/index.js');
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') {
      throw new KeepsyncError(
        'DEPENDENCY_MISSING',
        'The Temporal engine needs the Temporal SDK: npm install @temporalio/client @temporalio/worker @temporalio/workflow @temporalio/activity @temporalio/common @temporalio/proto',
        { cause: error },
      );
    }
    throw error;
  }
}
