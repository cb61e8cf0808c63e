export { type AdfNode, adfToText, textToAdf } from './adf.js';
export type {
  JiraAuth,
  JiraBasicAuth,
  JiraClient,
  JiraIssue,
  JiraOAuthAuth,
  JiraSearchPage,
  JiraSearchRequest,
} from './client.js';
export { destination, type JiraDestinationOptions } from './destination.js';
export type { JiraCustomFieldType, JiraIssueField, JiraTarget } from './encode.js';
export { type JiraSourceOptions, source } from './source.js';
