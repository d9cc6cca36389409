import { Module } from '@nestjs/common';
import { CoreModule } from '../core.module';
import { AfterCommit } from './after-commit';
import { SystemEventSubscriptions } from './system-event-subscriptions';
import { SystemEvents } from './system-events';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookSecrets } from './webhook-secrets';
import { WebhookSender } from './webhook-sender';
import { WebhookRepository } from './webhook.repository';

const providers = [
  AfterCommit,
  WebhookRepository,
  WebhookDispatcher,
  WebhookSecrets,
  WebhookSender,
  SystemEventSubscriptions,
  SystemEvents,
];

/** What any process needs to send webhooks: import it and inject `WebhookDispatcher` / `SystemEvents`. */
@Module({
  imports: [CoreModule],
  providers,
  exports: providers,
})
export class WebhooksCoreModule {}
