import { Module } from '@nestjs/common';
import { CoreModule } from '../core.module';
import { WebhooksCoreModule } from '../webhooks/webhooks-core.module';
import { SmsProviderController } from './sms-provider.controller';
import { SmsProviderRepository } from './sms-provider.repository';
import { SmsSender } from './sms.sender';

/** SMS provider settings API (HTTP process). */
@Module({
  imports: [CoreModule, WebhooksCoreModule],
  controllers: [SmsProviderController],
  providers: [SmsProviderRepository],
})
export class SmsApiModule {}

/** The `send_sms` effect (worker process): import it and inject `SmsSender`. */
@Module({
  imports: [CoreModule, WebhooksCoreModule],
  providers: [SmsProviderRepository, SmsSender],
  exports: [SmsSender],
})
export class SmsWorkerModule {}
