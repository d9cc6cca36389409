import { Injectable } from '@nestjs/common';
import { GroupCommit } from '../common/group-commit';
import { AttemptRecord, WebhookRepository } from './webhook.repository';

/**
 * Attempts finishing at the same time share one statement per site (group commit), so a burst of
 * deliveries costs a few commits instead of one per delivery. Each caller resolves after its commit.
 */
@Injectable()
export class AttemptWriter {
  private readonly commits: GroupCommit<AttemptRecord, boolean>;

  constructor(private readonly repo: WebhookRepository) {
    this.commits = new GroupCommit((items) => this.flush(items), 4, 500);
  }

  /** True when the message moved on; false when it had already (a stale or duplicate job). */
  async record(item: AttemptRecord): Promise<boolean> {
    const [moved] = await this.recordMany([item]);
    return moved;
  }

  /** A job's batch (all of one site) in one submission: whether each message moved on. */
  async recordMany(items: AttemptRecord[]): Promise<boolean[]> {
    if (items.length === 0) return [];
    return this.commits.submit(items[0].siteId, items);
  }

  private async flush(items: AttemptRecord[]): Promise<boolean[]> {
    const bySite = new Map<string, AttemptRecord[]>();
    for (const i of items) {
      const group = bySite.get(i.siteId);
      if (group) group.push(i);
      else bySite.set(i.siteId, [i]);
    }
    const moved = new Set<string>();
    for (const [siteId, group] of bySite) {
      for (const id of await this.repo.recordAttempts(siteId, group)) moved.add(id);
    }
    return items.map((i) => moved.has(i.messageId));
  }
}
