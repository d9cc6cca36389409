import { Module } from '@nestjs/common';
import { CoreModule } from '../core.module';
import { EmailSenderRepository } from './email-sender.repository';
import { EmailSendersController } from './email-senders.controller';
import { EmailSender } from './email.sender';

/** Email senders API (HTTP process). */
@Module({
  imports: [CoreModule],
  controllers: [EmailSendersController],
  providers: [EmailSenderRepository],
  exports: [EmailSenderRepository],
})
export class EmailApiModule {}

/** The `send_email` effect (worker process): import it and inject `EmailSender`. */
@Module({
  imports: [CoreModule],
  providers: [EmailSenderRepository, EmailSender],
  exports: [EmailSender],
})
export class EmailWorkerModule {}
