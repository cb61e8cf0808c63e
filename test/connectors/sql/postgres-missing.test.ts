import { describe, expect, it, vi } from 'vitest';
import { postgresClient } from '../../../src/connectors/sql/index.js';

// As if `pg` were not installed: importing it fails.
vi.mock('pg', () => {
  throw new Error("Cannot find package 'pg' imported from keepsync");
});

describe('sql connector without the pg package', () => {
  it('loads without pg and explains how to install it on first use', async () => {
    const client = postgresClient('postgres://localhost/none');
    expect(client.dialect).toBe('postgres');
    await expect(client.query('SELECT 1')).rejects.toMatchObject({
      code: 'DEPENDENCY_MISSING',
      message: expect.stringContaining('npm install pg'),
    });
  });
});
