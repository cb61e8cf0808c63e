import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGitHub } from '../../fakes/index.js';

/** GitHub's own machine-readable description of its REST API (@octokit/openapi), dereferenced. */
const description = createRequire(import.meta.url)(
  '@octokit/openapi/generated/api.github.com.deref.json',
) as {
  paths: Record<
    string,
    { get?: { responses: Record<string, { content?: Record<string, { schema: object }> }> } }
  >;
};

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });

function schemaOf(path: string, status: string): object {
  const content = description.paths[path]?.get?.responses[status]?.content;
  const schema = content?.['application/json']?.schema;
  if (!schema) throw new Error(`no ${status} schema for GET ${path}`);
  return schema;
}

describe('the GitHub fake answers as the OpenAPI description says, for every call the connector makes', () => {
  let fake: FakeGitHub;
  beforeAll(async () => {
    fake = await new FakeGitHub().start();
    fake.seedOrg('acme', 30);
  });
  afterAll(async () => {
    await fake.close();
  });

  const get = async (path: string) => {
    const response = await fetch(`${fake.url}${path}`, {
      headers: { authorization: 'token ghp_test' },
    });
    return { status: response.status, body: (await response.json()) as unknown };
  };

  const cases: Array<[string, string, string]> = [
    ['/orgs/acme/repos?per_page=10&page=2&sort=full_name', '/orgs/{org}/repos', '200'],
    ['/orgs/acme/repos?sort=pushed&direction=desc', '/orgs/{org}/repos', '200'],
    ['/orgs/acme', '/orgs/{org}', '200'],
    ['/orgs/no-such-org', '/orgs/{org}', '404'],
    ['/repos/acme/repo-3', '/repos/{owner}/{repo}', '200'],
    ['/repos/acme/no-such-repo', '/repos/{owner}/{repo}', '404'],
    ['/repos/acme/repo-3/readme', '/repos/{owner}/{repo}/readme', '200'],
    ['/repos/acme/repo-3/releases/latest', '/repos/{owner}/{repo}/releases/latest', '200'],
    // Not in the description; GitHub serves the same full repository object there.
    ['/repositories/1003', '/repos/{owner}/{repo}', '200'],
  ];
  for (const [url, path, status] of cases) {
    it(`GET ${url} matches the ${status} schema of GET ${path}`, async () => {
      const response = await get(url);
      expect(String(response.status)).toBe(status);
      const validate = ajv.compile(schemaOf(path, status));
      const valid = validate(response.body);
      expect(validate.errors?.slice(0, 5) ?? []).toEqual([]);
      expect(valid).toBe(true);
    });
  }
});
