import { HttpStatus, Injectable } from '@nestjs/common';
import type { EngineEffect } from '@nudgeflow/engine';
import { effectFacts } from '@nudgeflow/flow-schema';
import type { EntityManager } from 'typeorm';
import { AppError } from '../common/app-error';
import { SmsSender } from '../sms/sms.sender';
import { WebhookDispatcher } from '../webhooks/webhook-dispatcher';
import { EmailSender } from './email.sender';
import { RunRepository } from './run.repository';
import type { RunRow } from './runtime.types';
import { composeVisitorUpdates, VisitorUpdate } from './visitor-updates';

/** How long a pending on-site message waits for the visitor's next page view. */
const ONSITE_TTL_HOURS = 72;

/** An action that will fail the same way however often it is retried (bad endpoint, bad payload). */
export function isPermanent(err: unknown): boolean {
  return err instanceof AppError && err.status >= HttpStatus.BAD_REQUEST && err.status < 500;
}

/**
 * Performs one effect inside the caller's transaction, which holds the run's row lock and the
 * ledger row: database effects commit with the ledger status (exactly once); an SMTP or SMS send
 * happens while the lock is held, so a cancel cannot commit in between and a crash rolls the ledger back.
 */
@Injectable()
export class EffectPerformer {
  constructor(
    private readonly runs: RunRepository,
    private readonly email: EmailSender,
    private readonly webhooks: WebhookDispatcher,
    private readonly sms: SmsSender,
  ) {}

  /** Effects that are only database writes, so they run in the step's own transaction (registry fact). */
  isInline(kind: EngineEffect['kind']): boolean {
    return effectFacts(kind).delivery === 'inline';
  }

  /** Effects several runs can write together (`performBatch`; registry fact). */
  isBatchable(kind: EngineEffect['kind']): boolean {
    return effectFacts(kind).batchable;
  }

  /**
   * Several runs' batchable effects in `tx`, one statement per kind: visitor updates composed per
   * visitor in the given order (each reports whether its visitor exists), on-site messages together
   * (each reports its new id). Returns one result per item, in order, shaped as `perform`'s.
   */
  async performBatch(
    tx: EntityManager,
    siteId: string,
    items: { run: RunRow; effect: EngineEffect }[],
  ): Promise<Record<string, unknown>[]> {
    const byVisitor = new Map<string, VisitorUpdate[]>();
    const messages: { run: RunRow; effect: Extract<EngineEffect, { kind: 'show_cta' }> }[] = [];
    for (const { run, effect } of items) {
      if (effect.kind === 'update_visitor') {
        const list = byVisitor.get(run.visitor_id);
        if (list) list.push(effect);
        else byVisitor.set(run.visitor_id, [effect]);
      } else if (effect.kind === 'show_cta') messages.push({ run, effect });
      else throw new Error(`${effect.kind} is not batchable`);
    }
    const found = await this.runs.updateVisitors(
      tx,
      siteId,
      [...byVisitor].map(([visitorId, updates]) => ({ visitorId, update: composeVisitorUpdates(updates) })),
    );
    const ids = await this.runs.insertOnsiteMessages(tx, siteId, messages, ONSITE_TTL_HOURS);
    // Only the two kinds got this far.
    return items.map(({ run, effect }) =>
      effect.kind === 'show_cta'
        ? { id: ids.get(effect.idempotencyKey) ?? null }
        : { updated: found.has(run.visitor_id) ? 1 : 0 },
    );
  }

  async perform(tx: EntityManager, run: RunRow, effect: EngineEffect): Promise<Record<string, unknown>> {
    switch (effect.kind) {
      case 'update_visitor':
        return { updated: await this.runs.updateVisitor(tx, run.site_id, run.visitor_id, effect) };
      case 'show_cta':
        return await this.runs.insertOnsiteMessage(tx, run.site_id, run, effect, ONSITE_TTL_HOURS);
      case 'send_webhook': {
        const body = effect.body;
        const payload =
          typeof body === 'object' && body !== null && !Array.isArray(body) ? body : { data: body };
        return await this.webhooks.dispatch(
          run.site_id,
          {
            endpointId: effect.endpointId,
            eventType: 'flow.send_webhook',
            payload,
            idempotencyKey: `run:${effect.idempotencyKey}`,
          },
          tx,
        );
      }
      case 'notify':
        return await this.webhooks.dispatch(
          run.site_id,
          {
            endpointId: effect.endpointId,
            eventType: 'flow.notify',
            payload: { text: effect.text },
            idempotencyKey: `run:${effect.idempotencyKey}`,
          },
          tx,
        );
      case 'send_email':
        return await this.email.send(run.site_id, effect);
      case 'send_sms':
        return await this.sms.send(run.site_id, effect);
      default: {
        const _never: never = effect;
        return _never;
      }
    }
  }
}
