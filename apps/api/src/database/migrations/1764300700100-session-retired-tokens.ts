import { MigrationInterface, QueryRunner } from 'typeorm';
import { referenceTable } from '../citus';

/**
 * Refresh tokens a session has rotated away from. A retired token presented again means two parties
 * hold the session (one stole a token): the whole session is revoked (OAuth 2.0 security BCP,
 * refresh-token rotation with reuse detection). Rows go with their session (cascade on purge).
 */
export class SessionRetiredTokens1764300700100 implements MigrationInterface {
  name = 'SessionRetiredTokens1764300700100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE user_session_retired_tokens (
        token_hash bytea PRIMARY KEY,
        session_id uuid NOT NULL REFERENCES user_sessions (id) ON DELETE CASCADE,
        retired_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX user_session_retired_tokens_session_idx ON user_session_retired_tokens (session_id)`,
    );
    await referenceTable(q, 'user_session_retired_tokens');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE user_session_retired_tokens`);
  }
}
