export { type AtomicFile, writeFilesAtomic } from './atomic-batch.js';
export { syncDirectory, writeFileAtomic } from './atomic-write.js';
export { destination, type FilesDestinationOptions } from './destination.js';
export {
  type FileFields,
  parseText,
  type RecordFileContent,
  serializeSortedValue,
} from './format.js';
export { extensionOf, type FileFormat, fileNameForKey, formatOfFile } from './naming.js';
export { type FilesSourceOptions, source } from './source.js';
export { type FilesTwoWayOptions, twoWaySide } from './two-way.js';
