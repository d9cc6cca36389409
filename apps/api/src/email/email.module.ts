import { Module } from '@nestjs/common';
import { CoreModule } from '../core.module';
import { EmailSenderRepository } from './email-sender.repository';
import { EmailSendersController } from './email-senders.controller';

/** Email senders API (HTTP process). */
@Module({
  imports: [CoreModule],
  controllers: [EmailSendersController],
  providers: [EmailSenderRepository],
  exports: [EmailSenderRepository],
})
export class EmailApiModule {}
