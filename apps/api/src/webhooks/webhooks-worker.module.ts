import { Module } from '@nestjs/common';
import { WebhookDeliveryHandler } from './webhook-delivery.handler';
import { WebhooksCoreModule } from './webhooks-core.module';

/** The worker's side: the delivery job handler. */
@Module({
  imports: [WebhooksCoreModule],
  providers: [WebhookDeliveryHandler],
})
export class WebhooksWorkerModule {}
