import { queryRows, retryOnDeadlock } from '../database/sql';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Role } from '../common/roles';

export interface UserRow {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  created_at: Date;
}

export interface MembershipRow {
  account_id: string;
  account_name: string;
  role: Role;
}

/** Users, accounts, memberships and sessions: the small reference tables (not per site). */
@Injectable()
export class UserRepository {
  constructor(private readonly db: DataSource) {}

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return retryOnDeadlock(() => this.db.transaction(work));
  }

  async findByEmail(email: string): Promise<UserRow | undefined> {
    const rows: UserRow[] = await queryRows(this.db, `SELECT * FROM users WHERE email = $1`, [
      email.toLowerCase(),
    ]);
    return rows[0];
  }

  async findById(id: string): Promise<UserRow | undefined> {
    const rows: UserRow[] = await queryRows(this.db, `SELECT * FROM users WHERE id = $1`, [id]);
    return rows[0];
  }

  /** Returns undefined when the email is taken (unique index), so callers answer 409 without a race. */
  async createWithAccount(
    input: { email: string; name: string; passwordHash: string; accountName: string },
    tx: EntityManager,
  ): Promise<{ user: UserRow; accountId: string } | undefined> {
    const users: UserRow[] = await queryRows(
      tx,
      `INSERT INTO users (email, name, password_hash) VALUES ($1, $2, $3)
       ON CONFLICT (email) DO NOTHING RETURNING *`,
      [input.email.toLowerCase(), input.name, input.passwordHash],
    );
    if (!users[0]) return undefined;
    const [account]: { id: string }[] = await queryRows(
      tx,
      `INSERT INTO accounts (name) VALUES ($1) RETURNING id`,
      [input.accountName],
    );
    await queryRows(tx, `INSERT INTO memberships (account_id, user_id, role) VALUES ($1, $2, 'owner')`, [
      account.id,
      users[0].id,
    ]);
    return { user: users[0], accountId: account.id };
  }

  async memberships(userId: string): Promise<MembershipRow[]> {
    return queryRows(
      this.db,
      `SELECT m.account_id, a.name AS account_name, m.role
         FROM memberships m JOIN accounts a ON a.id = m.account_id
        WHERE m.user_id = $1 ORDER BY a.created_at`,
      [userId],
    );
  }

  async membership(accountId: string, userId: string): Promise<Role | undefined> {
    const rows: { role: Role }[] = await queryRows(
      this.db,
      `SELECT role FROM memberships WHERE account_id = $1 AND user_id = $2`,
      [accountId, userId],
    );
    return rows[0]?.role;
  }

  async createSession(userId: string, tokenHash: Buffer, expiresAt: Date): Promise<string> {
    const [row]: { id: string }[] = await queryRows(
      this.db,
      `INSERT INTO user_sessions (user_id, token_hash, expires_at) VALUES ($1, $2, $3) RETURNING id`,
      [userId, tokenHash, expiresAt],
    );
    return row.id;
  }

  async findSessionByToken(
    tokenHash: Buffer,
  ): Promise<{ id: string; user_id: string; expires_at: Date; revoked_at: Date | null } | undefined> {
    const rows = await queryRows<{ id: string; user_id: string; expires_at: Date; revoked_at: Date | null }>(
      this.db,
      `SELECT id, user_id, expires_at, revoked_at FROM user_sessions WHERE token_hash = $1`,
      [tokenHash],
    );
    return rows[0];
  }

  /**
   * Rotation: the old refresh token stops working the moment the new one is issued, and is kept as
   * retired so that presenting it again is recognised as reuse (see `sessionOfRetiredToken`).
   */
  async rotateSession(id: string, oldHash: Buffer, newHash: Buffer, expiresAt: Date): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const rows: unknown[] = await queryRows(
        tx,
        `UPDATE user_sessions SET token_hash = $3, expires_at = $4
          WHERE id = $1 AND token_hash = $2 AND revoked_at IS NULL RETURNING id`,
        [id, oldHash, newHash, expiresAt],
      );
      if (rows.length !== 1) return false;
      await queryRows(
        tx,
        `INSERT INTO user_session_retired_tokens (token_hash, session_id) VALUES ($1, $2)
         ON CONFLICT (token_hash) DO NOTHING`,
        [oldHash, id],
      );
      return true;
    });
  }

  /** The session a refresh token belonged to before it was rotated away, if it ever was. */
  async sessionOfRetiredToken(tokenHash: Buffer): Promise<string | undefined> {
    const rows = await queryRows<{ session_id: string }>(
      this.db,
      `SELECT session_id FROM user_session_retired_tokens WHERE token_hash = $1`,
      [tokenHash],
    );
    return rows[0]?.session_id;
  }

  async revokeSession(id: string): Promise<void> {
    await queryRows(
      this.db,
      `UPDATE user_sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`,
      [id],
    );
  }

  async isSessionActive(id: string): Promise<boolean> {
    const rows: unknown[] = await queryRows(
      this.db,
      `SELECT 1 FROM user_sessions WHERE id = $1 AND revoked_at IS NULL AND expires_at > now()`,
      [id],
    );
    return rows.length === 1;
  }

  async purgeExpiredSessions(): Promise<number> {
    const rows: unknown[] = await queryRows(
      this.db,
      `DELETE FROM user_sessions WHERE expires_at < now() - interval '1 day' RETURNING id`,
    );
    return rows.length;
  }
}
