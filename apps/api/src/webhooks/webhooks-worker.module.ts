import { Module } from '@nestjs/common';
import { AttemptWriter } from './attempt-writer';
import { WebhookDeliveryHandler } from './webhook-delivery.handler';
import { WebhooksCoreModule } from './webhooks-core.module';

/** The worker's side: the delivery job handler. */
@Module({
  imports: [WebhooksCoreModule],
  providers: [AttemptWriter, WebhookDeliveryHandler],
})
export class WebhooksWorkerModule {}
