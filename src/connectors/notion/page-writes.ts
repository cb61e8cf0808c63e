import { RecordError, type SyncRecord } from '../../model/index.js';
import type { WriteOp, WriteResult } from '../../sync/index.js';
import { currentBlocks, sameBlocks } from './body-blocks.js';
import type { NotionClient, NotionPage } from './client.js';
import { jsonBytes, markdownToBlocks, requestBatches } from './markdown-blocks.js';
import { NotionRequestError, type Request } from './requests.js';

/** What a page a person moved to the trash gets when its record changes. */
export type TrashedPagePolicy = 'restore' | 'leave';

/** Notion's limit is 500 KB per request; the rest is room for the request's other fields. */
const MAX_REQUEST_BYTES = 450_000;

export interface PageWriterOptions {
  readonly client: NotionClient;
  readonly request: Request;
  readonly dataSourceId: string;
  /** Whether records' markdown bodies become the created pages' content. */
  readonly writeBody: boolean;
  readonly trashedPages: TrashedPagePolicy;
  /** Property values of a record (the key property excluded). */
  readonly properties: (record: SyncRecord) => Record<string, unknown>;
  /** The key property's value for a record key. */
  readonly keyValue: (key: string) => Record<string, unknown>;
  /** Finds a page created for this key whose answer was lost. */
  readonly findCreated: (key: string) => Promise<string | undefined>;
  /** Called once a page exists for a key, or with undefined once it was taken back. */
  readonly linked: (key: string, pageId: string | undefined) => void;
}

/** The page writes of one session: create with its body, update (body too), and trash. */
export function pageWriter(options: PageWriterOptions): (op: WriteOp) => Promise<WriteResult> {
  const { client, request, dataSourceId } = options;

  async function create(op: Extract<WriteOp, { kind: 'create' }>): Promise<WriteResult> {
    const encoded = { ...options.properties(op.record), ...options.keyValue(op.key) };
    const blocks = options.writeBody && op.record.body ? markdownToBlocks(op.record.body) : [];
    const [first = [], ...rest] = requestBatches(
      blocks,
      MAX_REQUEST_BYTES,
      MAX_REQUEST_BYTES - jsonBytes(encoded),
    );
    const page: NotionPage = await request(
      'POST /v1/pages',
      (token) =>
        client.createPage(token, {
          parent: { type: 'data_source_id', data_source_id: dataSourceId },
          properties: encoded,
          ...(first.length > 0 ? { children: first } : {}),
        }),
      {
        // A create that timed out may have landed: find it by key before creating again.
        recover: async () => {
          const id = await options.findCreated(op.key);
          return id === undefined ? undefined : ({ id } as NotionPage);
        },
      },
    );
    options.linked(op.key, page.id);
    try {
      for (const children of rest) {
        await request(`PATCH /v1/blocks/${page.id}/children`, (token) =>
          client.appendBlocks(token, page.id, children),
        );
      }
    } catch (error) {
      await takeBack(op.key, page.id, error);
      throw error;
    }
    return { status: 'ok', destId: page.id };
  }

  /**
   * A page whose body could not be written whole is moved to the trash, so the record's
   * next attempt creates it again rather than finding (and keeping) a truncated page.
   */
  async function takeBack(key: string, pageId: string, cause: unknown): Promise<void> {
    try {
      await request(`PATCH /v1/pages/${pageId}`, (token) =>
        client.updatePage(token, pageId, { in_trash: true }),
      );
      options.linked(key, undefined);
    } catch {
      throw new RecordError(
        `record ${key}: Notion page ${pageId} was created but its body could not be written whole, nor the page moved to the trash; delete it in Notion so it is written again`,
        { key },
        { cause },
      );
    }
  }

  async function update(op: Extract<WriteOp, { kind: 'update' }>): Promise<WriteResult> {
    const encoded = options.properties(op.record);
    const send = () =>
      request(`PATCH /v1/pages/${op.destId}`, (token) =>
        client.updatePage(token, op.destId, { properties: encoded }),
      );
    try {
      await send();
    } catch (error) {
      if (!isTrashedPageError(error)) throw error;
      if (options.trashedPages === 'leave') return { status: 'ok', destId: op.destId };
      await request(`PATCH /v1/pages/${op.destId}`, (token) =>
        client.updatePage(token, op.destId, { in_trash: false }),
      );
      await send();
    }
    if (options.writeBody && op.record.body !== undefined) await replaceBody(op);
    return { status: 'ok', destId: op.destId };
  }

  /**
   * Makes the page show the record's body: the page's blocks are read and compared, and only
   * a different body is replaced (old blocks to the trash, then the new ones appended). If a
   * request fails the record fails with it, and its next attempt compares and replaces again.
   */
  async function replaceBody(op: Extract<WriteOp, { kind: 'update' }>): Promise<void> {
    const wanted = markdownToBlocks(op.record.body!);
    const current = await currentBlocks(client, request, op.destId);
    if (sameBlocks(current, wanted)) return;
    for (const block of current) {
      await request(`DELETE /v1/blocks/${block.id}`, (token) =>
        client.deleteBlock(token, block.id),
      );
    }
    for (const children of requestBatches(wanted, MAX_REQUEST_BYTES)) {
      if (children.length === 0) continue;
      await request(`PATCH /v1/blocks/${op.destId}/children`, (token) =>
        client.appendBlocks(token, op.destId, children),
      );
    }
  }

  async function trash(op: Extract<WriteOp, { kind: 'archive' | 'delete' }>): Promise<WriteResult> {
    // Notion has no hard delete through the API: both move the page to the trash.
    try {
      await request(`PATCH /v1/pages/${op.destId}`, (token) =>
        client.updatePage(token, op.destId, { in_trash: true }),
      );
    } catch (error) {
      // A page deleted for good in Notion is as gone as the delete wants it.
      if (!(error instanceof NotionRequestError && error.status === 404)) throw error;
    }
    return { status: 'ok', destId: op.destId };
  }

  return (op) =>
    op.kind === 'create' ? create(op) : op.kind === 'update' ? update(op) : trash(op);
}

/** Notion's 400 for an edit of a page in the trash ("Can't edit block that is archived"). */
function isTrashedPageError(error: unknown): boolean {
  return (
    error instanceof NotionRequestError && error.status === 400 && /archived/i.test(error.message)
  );
}
