export { destination, type FilesDestinationOptions } from './destination.js';
export type { FileFields, RecordFileContent } from './format.js';
export { type FileFormat, fileNameForKey } from './naming.js';
export { type FilesSourceOptions, source } from './source.js';
