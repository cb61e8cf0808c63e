import { createHash } from 'node:crypto';

/** The file formats the files connector reads and writes. */
export type FileFormat = 'yaml' | 'json';

const SAFE_CHARACTER = /^[A-Za-z0-9._-]$/;
/** Most filesystems allow 255 bytes per name; this leaves room for the extension and temp suffixes. */
const MAX_STEM_LENGTH = 200;
const TRUNCATED_STEM_LENGTH = 160;

const EXTENSION_FORMATS: ReadonlyMap<string, FileFormat> = new Map([
  ['.yaml', 'yaml'],
  ['.yml', 'yaml'],
  ['.json', 'json'],
]);

/** The extension the destination writes for a format. */
export function extensionOf(format: FileFormat): string {
  return format === 'yaml' ? '.yaml' : '.json';
}

/** The format of a record file from its extension, or null when it is not a record file. */
export function formatOfFile(fileName: string): FileFormat | null {
  const dot = fileName.lastIndexOf('.');
  if (dot <= 0) return null;
  return EXTENSION_FORMATS.get(fileName.slice(dot).toLowerCase()) ?? null;
}

/**
 * The file name of a key: readable, stable and distinct for distinct keys. Characters outside
 * [A-Za-z0-9._-] are percent-encoded (UTF-8 bytes, `%` itself included), so no two keys meet;
 * a leading `.` is encoded so no record file is hidden. Keys too long for one file name keep a
 * readable prefix and a hash of the whole key after `~`, which encoding never produces.
 */
export function fileNameForKey(key: string, format: FileFormat): string {
  let stem = '';
  for (const character of key) {
    stem += SAFE_CHARACTER.test(character) ? character : percentEncode(character);
  }
  if (stem.startsWith('.')) stem = `%2E${stem.slice(1)}`;
  if (stem.length > MAX_STEM_LENGTH) {
    const digest = createHash('sha256').update(key).digest('hex').slice(0, 16);
    stem = `${stem.slice(0, TRUNCATED_STEM_LENGTH)}~${digest}`;
  }
  return `${stem}${extensionOf(format)}`;
}

function percentEncode(character: string): string {
  let encoded = '';
  for (const byte of Buffer.from(character, 'utf8')) {
    encoded += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}
