import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import {
  bundleWorkflowCode,
  type NativeConnection,
  Worker,
  type WorkflowBundleOption,
} from '@temporalio/worker';
import { createUnitActivities, type UnitActivitiesOptions } from './activities.js';
import { aesGcmCodec, type CodecKey } from './codec.js';
import { createOAuthActivities } from './oauth-activities.js';

export interface KeepsyncWorkerOptions extends UnitActivitiesOptions {
  connection: NativeConnection;
  /** @default 'default' */
  namespace?: string | undefined;
  taskQueue: string;
  /** Encrypts every payload (AES-256-GCM); the first key encrypts, all decrypt. */
  codecKeys?: readonly CodecKey[] | undefined;
  /** A bundle from `bundleKeepsyncWorkflows()`; without one the worker bundles at start (~4 s). */
  workflowBundle?: WorkflowBundleOption | undefined;
  /**
   * How long a stopping worker lets the run in flight finish its page before cancelling it
   * (the SDK's default, 0, cancels at once). @default 30_000
   */
  shutdownGraceTimeMs?: number | undefined;
  /** Runs this worker executes at once. @default 8 */
  maxConcurrentRuns?: number | undefined;
  /**
   * How long a workflow task waits for this worker's sticky queue before any worker may take
   * it (what a killed worker costs its workflows). @default 10_000
   */
  stickyQueueScheduleToStartTimeoutMs?: number | undefined;
  /** Worker Versioning: this build's id within `deploymentName`. Unset = unversioned. */
  buildId?: string | undefined;
  /** @default 'keepsync' */
  deploymentName?: string | undefined;
}

/**
 * The data converter every worker, starter and CLI of a namespace must share. Failure messages
 * and stack traces travel as a payload, so with codec keys they are encrypted too.
 */
export function keepsyncDataConverter(codecKeys?: readonly CodecKey[]): DataConverter {
  return {
    failureConverterPath: keepsyncFailureConverterPath(),
    ...(codecKeys && codecKeys.length > 0
      ? { payloadCodecs: [aesGcmCodec({ keys: codecKeys })] }
      : {}),
  };
}

/** Path of the failure converter module (built or source), for the SDK to load by path. */
export function keepsyncFailureConverterPath(): string {
  const built = fileURLToPath(new URL('./failure-converter.cjs', import.meta.url));
  return existsSync(built)
    ? built
    : fileURLToPath(new URL('./failure-converter.cts', import.meta.url));
}

/** Path of the workflow module, for bundling ahead of time. */
export function keepsyncWorkflowsPath(): string {
  const built = fileURLToPath(new URL('./workflows.js', import.meta.url));
  return existsSync(built) ? built : fileURLToPath(new URL('./workflows.ts', import.meta.url));
}

/** Bundles the workflow code once; pass the result to several workers to skip bundling. */
export async function bundleKeepsyncWorkflows(): Promise<WorkflowBundleOption> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: keepsyncWorkflowsPath(),
    failureConverterPath: keepsyncFailureConverterPath(),
    logger: quietBundlerLogger,
  });
  return { code };
}

/**
 * A worker that runs keepsync's unit workflows and their activities against the store.
 * Call `run()` (or `runUntil(promise)`); `shutdown()` lets the page in flight commit.
 */
export async function createKeepsyncWorker(options: KeepsyncWorkerOptions): Promise<Worker> {
  const workflows = options.workflowBundle
    ? { workflowBundle: options.workflowBundle }
    : { workflowsPath: keepsyncWorkflowsPath() };
  const versioning = options.buildId
    ? {
        workerDeploymentOptions: {
          version: {
            deploymentName: options.deploymentName ?? 'keepsync',
            buildId: options.buildId,
          },
          useWorkerVersioning: true as const,
          // Entity workflows live forever: they move to new builds at continue-as-new.
          defaultVersioningBehavior: 'AUTO_UPGRADE' as const,
        },
      }
    : {};
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue,
    ...workflows,
    ...versioning,
    // Unit runs, and the refreshes of the token workflows of the config's OAuth connections.
    activities: { ...createUnitActivities(options), ...createOAuthActivities(options) },
    dataConverter: keepsyncDataConverter(options.codecKeys),
    shutdownGraceTime: options.shutdownGraceTimeMs ?? 30_000,
    maxConcurrentActivityTaskExecutions: options.maxConcurrentRuns ?? 8,
    stickyQueueScheduleToStartTimeout: options.stickyQueueScheduleToStartTimeoutMs ?? 10_000,
  });
}

// Webpack's progress lines are noise in a worker's log; warnings and errors still show.
const quietBundlerLogger = {
  trace() {},
  debug() {},
  info() {},
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
  log() {},
};
