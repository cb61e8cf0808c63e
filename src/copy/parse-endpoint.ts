import type { Readable, Writable } from 'node:stream';
import { type FileFormat, formatOfFile } from '../connectors/files/index.js';
import { KeepsyncError } from '../model/index.js';
import { directoryEndpoint } from './directory-endpoint.js';
import type { CopyEndpoint } from './endpoint.js';
import { fileEndpoint } from './file-endpoint.js';
import { type HttpEndpointOptions, httpEndpoint } from './http-endpoint.js';
import { stdioEndpoint } from './stdio-endpoint.js';

export interface CopyEndpointOptions {
  /**
   * Format written by a directory or stdout; a file's extension decides its own.
   * @default 'yaml'
   */
  format?: FileFormat | undefined;
  http?: HttpEndpointOptions | undefined;
  stdin?: Readable | undefined;
  stdout?: Writable | undefined;
}

/**
 * The endpoint an argument names: `-` (stdin/stdout), an http(s) URL, a `.yaml`, `.yml` or
 * `.json` file, or else a directory tree.
 */
export function parseEndpoint(argument: string, options: CopyEndpointOptions = {}): CopyEndpoint {
  if (argument === '-') return stdioEndpoint(options.format ?? 'yaml', options);
  if (/^https?:\/\//i.test(argument)) {
    try {
      new URL(argument);
    } catch {
      throw new KeepsyncError('CONFIG_INVALID', `Expected a valid URL, got ${argument}`);
    }
    return httpEndpoint(argument, options.http);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(argument)) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected an http(s) URL, a .yaml/.json file, a directory or -, got ${argument}`,
    );
  }
  const fileFormat = formatOfFile(argument);
  if (fileFormat !== null) {
    if (options.format !== undefined && options.format !== fileFormat) {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        `${argument} is a ${fileFormat.toUpperCase()} file by its extension; --${options.format} contradicts it`,
      );
    }
    return fileEndpoint(argument, fileFormat);
  }
  return directoryEndpoint(argument, options.format ?? 'yaml');
}
