import { queryRows, retryOnDeadlock } from '../database/sql';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Role } from '../common/roles';

export interface MemberRow {
  user_id: string;
  email: string;
  name: string;
  role: Role;
  created_at: Date;
}

@Injectable()
export class MembershipRepository {
  constructor(private readonly db: DataSource) {}

  async list(accountId: string): Promise<MemberRow[]> {
    return queryRows(
      this.db,
      `SELECT m.user_id, u.email, u.name, m.role, m.created_at
         FROM memberships m JOIN users u ON u.id = m.user_id
        WHERE m.account_id = $1 ORDER BY m.created_at`,
      [accountId],
    );
  }

  async add(accountId: string, userId: string, role: Role): Promise<boolean> {
    const rows: unknown[] = await retryOnDeadlock(() =>
      queryRows(
        this.db,
        `INSERT INTO memberships (account_id, user_id, role) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING RETURNING user_id`,
        [accountId, userId, role],
      ),
    );
    return rows.length === 1;
  }

  /**
   * Changes or removes a member unless that would leave the account without an owner; the check and
   * the write happen in one statement under a row lock, so two concurrent demotions cannot both pass.
   */
  async changeKeepingAnOwner(
    accountId: string,
    userId: string,
    role: Role | null,
  ): Promise<'done' | 'not_found' | 'last_owner'> {
    return retryOnDeadlock(() =>
      this.db.transaction(async (tx) => {
        const owners: { user_id: string }[] = await queryRows(
          tx,
          `SELECT user_id FROM memberships WHERE account_id = $1 AND role = 'owner' FOR UPDATE`,
          [accountId],
        );
        const current: { role: Role }[] = await queryRows(
          tx,
          `SELECT role FROM memberships WHERE account_id = $1 AND user_id = $2 FOR UPDATE`,
          [accountId, userId],
        );
        if (!current[0]) return 'not_found';
        const losesOwner = current[0].role === 'owner' && role !== 'owner';
        if (losesOwner && owners.length <= 1) return 'last_owner';
        if (role) {
          await queryRows(tx, `UPDATE memberships SET role = $3 WHERE account_id = $1 AND user_id = $2`, [
            accountId,
            userId,
            role,
          ]);
        } else {
          await queryRows(tx, `DELETE FROM memberships WHERE account_id = $1 AND user_id = $2`, [
            accountId,
            userId,
          ]);
        }
        return 'done';
      }),
    );
  }
}
