import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `nf_hll_union_card(hll)`: the cardinality of the union of a group's hlls, straight from the
 * aggregate's unpacked state (postgresql-hll's own `hll_union_trans` and `hll_card_unpacked`).
 * `hll_cardinality(hll_union_agg(x))` packs the union's 16,384 registers into a value and unpacks them
 * again to count them; a 30-day CTA report spent ~0.3 ms per variant and column on that alone. Same
 * numbers: the count is taken from the same registers (or explicit ids). On Citus the aggregate is
 * propagated to the workers like any other CREATE AGGREGATE (router queries run it on the shard).
 */
export class AnalyticsHllUnionCard1764300600500 implements MigrationInterface {
  name = 'AnalyticsHllUnionCard1764300600500';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE AGGREGATE nf_hll_union_card(hll) (
         SFUNC = hll_union_trans, STYPE = internal, FINALFUNC = hll_card_unpacked)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP AGGREGATE IF EXISTS nf_hll_union_card(hll)`);
  }
}
