import { HttpStatus, Injectable } from '@nestjs/common';
import type { EngineEffect } from '@nudgeflow/engine';
import { effectFacts } from '@nudgeflow/flow-schema';
import type { EntityManager } from 'typeorm';
import { AppError } from '../common/app-error';
import { EmailSender } from '../email/email.sender';
import { ShowCtaEffect } from '../onsite/show-cta.effect';
import { SmsSender } from '../sms/sms.sender';
import type { VisitorUpdate } from '../visitors/visitor-updates';
import { VisitorUpdateEffect } from '../visitors/visitor-update.effect';
import type { HandedOffEvent } from '../webhooks/system-event-mapping';
import { EndedRun, SystemEvents } from '../webhooks/system-events';
import { WebhookEffects } from '../webhooks/webhook.effects';
import type { RunError, RunRow } from './runtime.types';

/** An action that will fail the same way however often it is retried (bad endpoint, bad payload). */
export function isPermanent(err: unknown): boolean {
  return err instanceof AppError && err.status >= HttpStatus.BAD_REQUEST && err.status < 500;
}

type ShowCta = Extract<EngineEffect, { kind: 'show_cta' }>;

/**
 * The runtime's one way out: the runtime decides (the engine's effects, a run's end), the feature
 * that owns an effect performs it, with its own tables — on-site messages in onsite, visitor updates
 * in visitors, webhook messages and system events in webhooks, email and SMS in their folders. No
 * feature calls back into the runtime. Everything here runs inside the caller's transaction, which
 * holds the run's row lock and the ledger row: database effects commit with the ledger status
 * (exactly once); an SMTP or SMS send happens while the lock is held, so a cancel cannot commit in
 * between and a crash rolls the ledger back.
 */
@Injectable()
export class EffectPort {
  constructor(
    private readonly visitors: VisitorUpdateEffect,
    private readonly onsite: ShowCtaEffect,
    private readonly webhooks: WebhookEffects,
    private readonly email: EmailSender,
    private readonly sms: SmsSender,
    private readonly systemEvents: SystemEvents,
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
    const messages: { run: RunRow; effect: ShowCta }[] = [];
    for (const { run, effect } of items) {
      if (effect.kind === 'update_visitor') {
        const list = byVisitor.get(run.visitor_id);
        if (list) list.push(effect);
        else byVisitor.set(run.visitor_id, [effect]);
      } else if (effect.kind === 'show_cta') messages.push({ run, effect });
      else throw new Error(`${effect.kind} is not batchable`);
    }
    const found = await this.visitors.performBatch(tx, siteId, byVisitor);
    const ids = await this.onsite.performBatch(tx, siteId, messages);
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
        return await this.visitors.perform(tx, run.site_id, run.visitor_id, effect);
      case 'show_cta':
        return await this.onsite.perform(tx, run.site_id, run, effect);
      case 'send_webhook':
        return await this.webhooks.sendWebhook(tx, run.site_id, effect);
      case 'notify':
        return await this.webhooks.notify(tx, run.site_id, effect);
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

  /**
   * A run ended (`status` its new status, `seq` its seq after the transition): run.completed /
   * run.failed to subscribed webhook endpoints, committed with the transition.
   */
  runEnded(
    tx: EntityManager,
    run: EndedRun,
    status: string | null,
    seq: number,
    error?: RunError | null,
  ): Promise<void> {
    return this.systemEvents.runEnded(tx, run, status, seq, error);
  }

  /** Events handed to the trigger job: visitor.identified, cta.converted, committed with the job. */
  eventsHandedOff(tx: EntityManager, siteId: string, events: HandedOffEvent[]): Promise<void> {
    return this.systemEvents.fromEvents(tx, siteId, events);
  }
}
