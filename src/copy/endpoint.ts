import type { CopyResource, ResourceHead, StagedResource } from './resource.js';
import type { ResourceSchema } from './schema.js';

export interface CopyReadContext {
  readonly schema: ResourceSchema;
  readonly signal?: AbortSignal | undefined;
  /** Told about problems that do not stop the copy, such as a broken link. */
  readonly warn: (message: string) => void;
}

export interface CopyWriteContext extends CopyReadContext {
  /** Told after each resource written, deleted or failed. */
  readonly onProgress: () => void;
}

/** Where resources come from. */
export interface CopyOrigin {
  readonly label: string;
  read(context: CopyReadContext): AsyncIterable<CopyResource>;
}

/** Where resources go. */
export interface CopyTarget {
  readonly label: string;
  /**
   * Writes must follow dependency order, because the target may check that what a resource
   * links to exists (a server); then a dependency cycle stops the copy.
   */
  readonly ordered: boolean;
  /** Reads what the target holds now, so unchanged resources are not written again. */
  open(context: CopyReadContext): Promise<CopyTargetSession>;
}

/** Both roles: every endpoint can be an origin or the destination. */
export interface CopyEndpoint extends CopyOrigin, CopyTarget {}

export interface CopyChange {
  readonly kind: 'create' | 'update';
  readonly resource: StagedResource;
}

export interface CopyPlan {
  /**
   * Creates and updates in layers: a resource comes in a later layer than every resource it
   * depends on, so a layer's writes may run at once. Unordered targets get one layer.
   */
  readonly layers: ReadonlyArray<readonly CopyChange[]>;
  /** Keys of resources to remove (`--rm`). */
  readonly deletes: readonly string[];
}

export interface CopyFailure {
  readonly key: string;
  readonly error: string;
}

export interface CopyTargetSession {
  /** Resource key -> fingerprint of what the target holds now. */
  readonly existing: ReadonlyMap<string, string>;
  /** The fingerprint `resource` will have once written; equal to the existing one = unchanged. */
  fingerprint(resource: ResourceHead): string;
  /** Writes the plan; returns the resources that failed, the rest went through. */
  apply(plan: CopyPlan, context: CopyWriteContext): Promise<CopyFailure[]>;
}
