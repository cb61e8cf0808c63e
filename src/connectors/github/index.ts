export type {
  GitHubAppAuth,
  GitHubAuth,
  GitHubClient,
  GitHubRepo,
  GitHubTokenAuth,
  RepoPage,
} from './client.js';
export { type GitHubEnrichContext, type GitHubSourceOptions, source } from './source.js';
