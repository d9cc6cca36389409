import { Module } from '@nestjs/common';
import { CoreModule } from '../core.module';
import { IngestEventsModule } from '../ingest/ingest-events.module';
import { AfterCommit } from './after-commit';
import { SystemEventSubscriptions } from './system-event-subscriptions';
import { SystemEvents } from './system-events';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookEffects } from './webhook.effects';
import { WebhookSecrets } from './webhook-secrets';
import { WebhookSender } from './webhook-sender';
import { WebhookEndpointRepository } from './webhook-endpoint.repository';
import { WebhookRepository } from './webhook.repository';

const providers = [
  AfterCommit,
  WebhookRepository,
  WebhookEndpointRepository,
  WebhookDispatcher,
  WebhookEffects,
  WebhookSecrets,
  WebhookSender,
  SystemEventSubscriptions,
  SystemEvents,
];

/**
 * What any process needs to send webhooks: import it and inject `WebhookDispatcher`, `WebhookEffects`
 * or `SystemEvents`.
 */
@Module({
  // The events a visitor.identified notice describes are ingest's (read through its repository).
  imports: [CoreModule, IngestEventsModule],
  providers,
  exports: providers,
})
export class WebhooksCoreModule {}
