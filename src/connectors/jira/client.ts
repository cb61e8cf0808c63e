import { importPeer } from '../support/index.js';

/** An issue as the search and issue endpoints return it (the fields keepsync asks for). */
export interface JiraIssue {
  readonly id: string;
  readonly key: string;
  readonly fields?: Readonly<Record<string, unknown>>;
  /** Entity properties asked for with `properties`, inline. */
  readonly properties?: Readonly<Record<string, unknown>>;
}

export interface JiraSearchPage {
  readonly issues: readonly JiraIssue[];
  /** `undefined` on the last page. */
  readonly nextPageToken: string | undefined;
}

export interface JiraSearchRequest {
  readonly jql: string;
  readonly fields: readonly string[];
  readonly properties?: readonly string[] | undefined;
  readonly maxResults: number;
  readonly nextPageToken?: string | undefined;
}

/** The Jira calls the connector makes; tests may pass an in-memory implementation. */
export interface JiraClient {
  search(request: JiraSearchRequest): Promise<JiraSearchPage>;
  /** The IANA time zone JQL dates are read in for this user. */
  timeZone(): Promise<string>;
  createIssue(body: {
    fields: Record<string, unknown>;
    properties: Array<{ key: string; value: unknown }>;
  }): Promise<{ id: string; key: string }>;
  editIssue(id: string, fields: Record<string, unknown>): Promise<void>;
  deleteIssue(id: string): Promise<void>;
}

/** Basic auth with an Atlassian account's email and API token. */
export interface JiraBasicAuth {
  readonly email: string;
  readonly apiToken: string;
}

/**
 * An OAuth 2.0 (3LO) access token for a site (`cloudId`); requests go through Atlassian's
 * API gateway. Refreshing it is up to the caller.
 */
export interface JiraOAuthAuth {
  readonly accessToken: string;
  readonly cloudId: string;
}

export type JiraAuth = JiraBasicAuth | JiraOAuthAuth;

export interface JiraClientOptions {
  /** The site, `https://<site>.atlassian.net`; with OAuth, a gateway URL override (tests). */
  readonly baseUrl?: string | undefined;
  readonly auth: JiraAuth;
  readonly timeoutMs: number;
}

/** Binds the official `jira.js` SDK (Cloud REST v3), loaded on first use. */
export async function createJiraClient(options: JiraClientOptions): Promise<JiraClient> {
  const { Version3Client } = await importPeer('jira.js', 'jira', () => import('jira.js'));
  const { auth } = options;
  const oauth = 'accessToken' in auth;
  const host = oauth
    ? (options.baseUrl ?? `https://api.atlassian.com/ex/jira/${encodeURIComponent(auth.cloudId)}`)
    : options.baseUrl;
  const client = new Version3Client({
    host: host!.replace(/\/+$/, ''),
    ...(oauth ? {} : { authentication: { basic: { email: auth.email, apiToken: auth.apiToken } } }),
    baseRequestConfig: {
      timeout: options.timeoutMs,
      // A bearer token goes as a plain header: jira.js's own OAuth mode always targets the gateway.
      ...(oauth ? { headers: { Authorization: `Bearer ${auth.accessToken}` } } : {}),
    },
  });
  return {
    async search({ jql, fields, properties, maxResults, nextPageToken }) {
      const page = await client.issueSearch.searchForIssuesUsingJqlEnhancedSearchPost({
        jql,
        fields: [...fields],
        ...(properties ? { properties: [...properties] } : {}),
        maxResults,
        ...(nextPageToken ? { nextPageToken } : {}),
      });
      return {
        issues: (page.issues ?? []) as JiraIssue[],
        nextPageToken: page.nextPageToken ?? undefined,
      };
    },
    async timeZone() {
      const user = await client.myself.getCurrentUser();
      return user.timeZone ?? 'UTC';
    },
    async createIssue(body) {
      const created = await client.issues.createIssue({
        fields: body.fields as never,
        properties: body.properties,
      });
      return { id: String(created.id), key: created.key };
    },
    async editIssue(id, fields) {
      await client.issues.editIssue({ issueIdOrKey: id, fields });
    },
    async deleteIssue(id) {
      await client.issues.deleteIssue({ issueIdOrKey: id });
    },
  };
}
