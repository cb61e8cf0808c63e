import type { Readable, Writable } from 'node:stream';
import type { FileFormat } from '../connectors/files/index.js';
import { expandDocument, readDocuments } from './documents.js';
import type { CopyEndpoint } from './endpoint.js';
import { streamDocumentText } from './serialize.js';

/**
 * `-`: reads JSON, newline-delimited JSON or a YAML stream from stdin; writes a YAML stream
 * (or one JSON document per line) to stdout, and nothing else, so it can be piped.
 */
export function stdioEndpoint(
  format: FileFormat,
  streams: { stdin?: Readable | undefined; stdout?: Writable | undefined } = {},
): CopyEndpoint {
  return {
    label: '-',
    ordered: false,
    async *read(context) {
      for await (const located of readDocuments(streams.stdin ?? process.stdin, 'stdin')) {
        yield* expandDocument(located, context.schema, { strict: true });
      }
    },
    async open() {
      const stdout = streams.stdout ?? process.stdout;
      return {
        existing: new Map(),
        fingerprint: () => '',
        async apply(plan, context) {
          for (const layer of plan.layers) {
            for (const change of layer) {
              if (!stdout.write(streamDocumentText(change.resource.readText(), format))) {
                await new Promise((resolve) => stdout.once('drain', resolve));
              }
              context.onProgress();
            }
          }
          return [];
        },
      };
    },
  };
}
