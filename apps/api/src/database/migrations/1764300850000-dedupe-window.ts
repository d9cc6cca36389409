import { MigrationInterface, QueryRunner } from 'typeorm';
import { distributedTable } from '../citus';

/**
 * The compact messageId dedupe window (ingest/dedupe-window.ts). Two tiers per site:
 * - `event_dedupe_recent`: one row per hash for the current generation of hours (and the previous one
 *   until it is sealed); its primary key settles two writers inserting one hash at once.
 * - `event_dedupe_sealed`: each ended generation, sealed once into runs of sorted hashes (with the hour
 *   of each, as an offset from the generation's first hour), keyed by the run's first hash: one index
 *   probe per generation finds the only run that can hold a hash.
 * - `event_dedupe_seals`: which generations of a site are sealed and cleaned (the sealing job's state).
 * Hours are whole hours since the Unix epoch. Existing `event_dedupe` rows are copied into the recent
 * tier with the last hour of their day (they stay duplicates at least as long as before); the sealing
 * job seals or expires them like any other. `event_dedupe` stays for processes of the previous release.
 */
export class DedupeWindow1764300850000 implements MigrationInterface {
  name = 'DedupeWindow1764300850000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE event_dedupe_recent (
        site_id uuid NOT NULL,
        hash bigint NOT NULL,
        hour integer NOT NULL,
        PRIMARY KEY (site_id, hash)
      )`);
    await distributedTable(q, 'event_dedupe_recent');
    // Runs stay inline (no TOAST pointer to follow on a lookup, no compression attempt on random hashes).
    await q.query(`
      CREATE TABLE event_dedupe_sealed (
        site_id uuid NOT NULL,
        gen_hour integer NOT NULL,
        lo bigint NOT NULL,
        hashes bigint[] NOT NULL,
        hours smallint[] NOT NULL,
        PRIMARY KEY (site_id, gen_hour, lo)
      ) WITH (toast_tuple_target = 8160)`);
    await q.query(`ALTER TABLE event_dedupe_sealed ALTER COLUMN hashes SET STORAGE MAIN`);
    await q.query(`ALTER TABLE event_dedupe_sealed ALTER COLUMN hours SET STORAGE MAIN`);
    await distributedTable(q, 'event_dedupe_sealed');
    await q.query(`
      CREATE TABLE event_dedupe_seals (
        site_id uuid NOT NULL,
        gen_hour integer NOT NULL,
        sealed_at timestamptz,
        cleaned_at timestamptz,
        PRIMARY KEY (site_id, gen_hour)
      )`);
    await distributedTable(q, 'event_dedupe_seals');
    await q.query(`
      INSERT INTO event_dedupe_recent (site_id, hash, hour)
      SELECT site_id, hash, max((extract(epoch FROM day) / 3600)::integer + 23)
        FROM event_dedupe GROUP BY site_id, hash`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE event_dedupe_seals`);
    await q.query(`DROP TABLE event_dedupe_sealed`);
    await q.query(`DROP TABLE event_dedupe_recent`);
  }
}
