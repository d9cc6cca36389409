import { Module } from '@nestjs/common';
import { CoreModule } from '../core.module';
import { EventStore } from '../ingest/event-store.repository';
import { InboundHookRepository } from './inbound-hook.repository';
import { InboundHooksController } from './inbound-hooks.controller';
import { InboundHooksService } from './inbound-hooks.service';
import { InboundRawBody } from './inbound-raw-body';
import { WebhooksController } from './webhooks.controller';
import { WebhooksCoreModule } from './webhooks-core.module';
import { WebhooksService } from './webhooks.service';

/** The HTTP side: endpoint management, delivery log, resend/recover, inbound hooks. */
@Module({
  imports: [CoreModule, WebhooksCoreModule],
  controllers: [WebhooksController, InboundHooksController],
  // EventStore is ingestion's durable write (dedupe window, visitors, outbox), reused as is.
  providers: [WebhooksService, InboundHookRepository, InboundHooksService, InboundRawBody, EventStore],
})
export class WebhooksModule {}
