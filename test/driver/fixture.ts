// The embedded-root fixture the driver suites share: the test guest is built, a fresh root opened
// before the suite; every running domain destroyed and the root removed after it.
import { after, before } from 'node:test';
import type { Connection } from '../../src/api/connection.js';
import { connect } from '../../src/index.js';
import { ensureGuest, makeTempRoot, type TempRoot } from '../helpers/guest.js';

export interface EmbeddedRootFixture {
  root: TempRoot;
  conn: Connection;
}

/** Call inside a describe(): registers the before/after hooks and returns the fixture they fill. */
export function embeddedRootFixture(): EmbeddedRootFixture {
  const fx = {} as EmbeddedRootFixture;
  before(async () => {
    await ensureGuest();
    fx.root = await makeTempRoot();
    fx.conn = await connect(fx.root.uri);
  });
  after(async () => {
    for (const d of await fx.conn.listAllDomains(1)) await d.destroy().catch(() => {});
    await fx.conn.close();
    await fx.root.remove();
  });
  return fx;
}
