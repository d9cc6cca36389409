import { Module } from '@nestjs/common';
import { CoreModule } from '../core.module';
import { IngestModule } from '../ingest/ingest.module';
import { InboundHookRepository } from './inbound-hook.repository';
import { InboundHooksController } from './inbound-hooks.controller';
import { InboundHooksService } from './inbound-hooks.service';
import { InboundRawBody } from './inbound-raw-body';
import { WebhooksController } from './webhooks.controller';
import { WebhooksCoreModule } from './webhooks-core.module';
import { WebhooksService } from './webhooks.service';

/** The HTTP side: endpoint management, delivery log, resend/recover, inbound hooks. */
@Module({
  imports: [CoreModule, WebhooksCoreModule, IngestModule],
  controllers: [WebhooksController, InboundHooksController],
  // Inbound hooks write through IngestService (its group commit and limits), not a second EventStore.
  providers: [WebhooksService, InboundHookRepository, InboundHooksService, InboundRawBody],
})
export class WebhooksModule {}
