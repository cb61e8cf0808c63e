import type { FakeServer } from './fake-server.js';

/** A fake service that answers on one FakeServer: started, addressed and closed through it. */
export abstract class FakeService {
  abstract readonly server: FakeServer;

  get url(): string {
    return this.server.url;
  }

  async start(): Promise<this> {
    await this.server.start();
    return this;
  }

  close(): Promise<void> {
    return this.server.close();
  }
}

/** A fake service that takes API keys, which tests add and revoke. */
export abstract class FakeKeyedService extends FakeService {
  readonly #keys: Set<string>;

  constructor(keys: readonly string[]) {
    super();
    this.#keys = new Set(keys);
  }

  addKey(key: string): void {
    this.#keys.add(key);
  }

  revokeKey(key: string): void {
    this.#keys.delete(key);
  }

  protected hasKey(key: string): boolean {
    return this.#keys.has(key);
  }
}
