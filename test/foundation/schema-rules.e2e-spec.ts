import { Client } from 'pg';
import { REFERENCE_TABLES, schemaViolations } from '../support/schema-rules';
import { TEST_DATABASE_URL } from '../support/test-env';

describe('Citus-ready schema rules (live schema)', () => {
  let db: Client;
  beforeAll(async () => {
    db = new Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
  });
  afterAll(() => db.end());

  it('holds for every table the migrations created', async () => {
    expect(await schemaViolations(db)).toEqual([]);
  });

  it('catches a tenant table whose primary key does not start with site_id, a unique without it, and a cross-tenant foreign key', async () => {
    await db.query('BEGIN');
    try {
      await db.query(
        `CREATE TABLE bad_widgets (id uuid PRIMARY KEY, site_id uuid NOT NULL, slug text UNIQUE)`,
      );
      await db.query(
        `CREATE TABLE bad_links (site_id uuid NOT NULL, id uuid NOT NULL, widget_id uuid REFERENCES bad_widgets (id), PRIMARY KEY (site_id, id))`,
      );
      await db.query(`CREATE TABLE bad_orphans (id uuid PRIMARY KEY)`);
      const problems = await schemaViolations(db);
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^bad_widgets: primary key \(id\) must start with site_id/),
          expect.stringMatching(
            /^bad_widgets: unique index bad_widgets_slug_key \(slug\) must start with site_id/,
          ),
          expect.stringMatching(
            /^bad_links: foreign key bad_links_widget_id_fkey to bad_widgets \(widget_id\) must include site_id/,
          ),
          'bad_orphans: has no site_id column and is not a declared reference table',
        ]),
      );
      expect(problems).toHaveLength(4);
    } finally {
      await db.query('ROLLBACK');
    }
  });

  it('declares every reference table that exists', async () => {
    const { rows } = await db.query<{ relname: string }>(
      `SELECT relname FROM pg_class WHERE relname = ANY($1) AND relkind = 'r'`,
      [REFERENCE_TABLES],
    );
    expect(rows.map((r) => r.relname).sort()).toEqual([...REFERENCE_TABLES].sort());
  });
});
