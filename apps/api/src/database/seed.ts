import 'reflect-metadata';
import * as argon2 from 'argon2';
import { loadConfig } from '../config/app-config';
import { createDataSource } from './data-source';
import { runCli } from './run-cli';
import { newKeyToken } from '../sites/key-token';
import { listSite } from '../sites/site.repository';
import { Queryable } from './sql';
import { DEMO } from '../demo/demo-account';

/** `npm run seed`: a demo marketer, account and site with a write key. Safe to run again. */
runCli(async () => {
  const cfg = loadConfig();
  const ds = createDataSource(cfg);
  await ds.initialize();
  try {
    const { siteId, writeKey } = await ds.transaction(async (tx) => {
      let [user]: { id: string }[] = await tx.query(`SELECT id FROM users WHERE email = $1`, [DEMO.email]);
      if (!user) {
        [user] = await tx.query(
          `INSERT INTO users (email, name, password_hash) VALUES ($1, $2, $3) RETURNING id`,
          [DEMO.email, DEMO.name, await argon2.hash(DEMO.password)],
        );
      }
      let [membership]: { account_id: string }[] = await tx.query(
        `SELECT account_id FROM memberships WHERE user_id = $1 AND role = 'owner' LIMIT 1`,
        [user.id],
      );
      if (!membership) {
        const [account]: { id: string }[] = await tx.query(
          `INSERT INTO accounts (name) VALUES ($1) RETURNING id`,
          [DEMO.account],
        );
        await tx.query(`INSERT INTO memberships (account_id, user_id, role) VALUES ($1, $2, 'owner')`, [
          account.id,
          user.id,
        ]);
        membership = { account_id: account.id };
      }
      let site = await findSiteByName(tx, membership.account_id, DEMO.site);
      if (!site) {
        // The simulated browsers identify with no server to sign their userIds: verification off.
        const [created]: { id: string; account_id: string; created_at: Date }[] = await tx.query(
          `INSERT INTO sites (account_id, name, domain, timezone, identity_verification)
           VALUES ($1, $2, $3, 'Europe/Paris', false)
           RETURNING id, account_id, created_at`,
          [membership.account_id, DEMO.site, DEMO.domain],
        );
        await listSite(tx, created);
        site = created;
      }
      const keys: { public_token: string }[] = await tx.query(
        `SELECT public_token FROM site_keys WHERE site_id = $1 AND kind = 'write' AND revoked_at IS NULL LIMIT 1`,
        [site.id],
      );
      let key = keys[0]?.public_token;
      if (!key) {
        const created = newKeyToken('write', site.id);
        key = created.token;
        await tx.query(
          `INSERT INTO site_keys (site_id, kind, name, token_hash, public_token, last4)
           VALUES ($1, 'write', 'Default write key', $2, $3, $4)`,
          [site.id, created.tokenHash, created.publicToken, created.last4],
        );
      }
      return { siteId: site.id, writeKey: key };
    });
    const url = cfg.PUBLIC_URL ?? `http://localhost:${cfg.PORT}`;
    console.log(
      [
        'Demo data ready:',
        `  builder     ${url}/`,
        `  login       ${DEMO.email} / ${DEMO.password}`,
        `  site        ${DEMO.site} (${siteId})`,
        `  write key   ${writeKey}`,
        `  embed       <script async src="${url}/embed.js" data-write-key="${writeKey}"></script>`,
      ].join('\n'),
    );
  } finally {
    await ds.destroy();
  }
});

/** The account's live site of that name: ids from `account_sites`, then each site on its own shard. */
async function findSiteByName(
  db: Queryable,
  accountId: string,
  name: string,
): Promise<{ id: string } | undefined> {
  const listed: { site_id: string }[] = await db.query(
    `SELECT site_id FROM account_sites WHERE account_id = $1 ORDER BY created_at`,
    [accountId],
  );
  for (const { site_id } of listed) {
    const [site]: { id: string }[] = await db.query(
      `SELECT id FROM sites WHERE id = $1 AND name = $2 AND deleted_at IS NULL`,
      [site_id, name],
    );
    if (site) return site;
  }
  return undefined;
}
