import { HttpStatus, Injectable } from '@nestjs/common';
import type { EngineEffect } from '@nudgeflow/engine';
import type { EntityManager } from 'typeorm';
import { AppError } from '../common/app-error';
import { WebhookDispatcher } from '../webhooks/webhook-dispatcher';
import { EmailSender } from './email.sender';
import { RunRepository } from './run.repository';
import type { RunRow } from './runtime.types';

/** How long a pending on-site message waits for the visitor's next page view. */
export const ONSITE_TTL_HOURS = 72;

/** An action that will fail the same way however often it is retried (bad endpoint, bad payload). */
export function isPermanent(err: unknown): boolean {
  return err instanceof AppError && err.status >= HttpStatus.BAD_REQUEST && err.status < 500;
}

/**
 * Performs one effect inside the caller's transaction, which holds the run's row lock and the
 * ledger row: database effects commit with the ledger status (exactly once); an SMTP send happens
 * while the lock is held, so a cancel cannot commit in between and a crash rolls the ledger back.
 */
@Injectable()
export class EffectPerformer {
  constructor(
    private readonly runs: RunRepository,
    private readonly email: EmailSender,
    private readonly webhooks: WebhookDispatcher,
  ) {}

  /** Effects that are only database writes, so they run in the step's own transaction. */
  isInline(kind: EngineEffect['kind']): boolean {
    return kind !== 'send_email';
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
        return await this.email.send(effect);
      default: {
        const _never: never = effect;
        return _never;
      }
    }
  }
}
