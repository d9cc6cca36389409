import { Module } from '@nestjs/common';
import { CoreModule } from '../core.module';
import { EmailSenderRepository } from '../email/email-sender.repository';
import { FlowsModule } from '../flows/flows.module';
import { profileFoldProvider } from '../ingest/profile-fold';
import { SmsWorkerModule } from '../sms/sms.module';
import { WebhooksCoreModule } from '../webhooks/webhooks-core.module';
import { EffectPerformer } from './effect-performer';
import { EmailSender } from './email.sender';
import { FlowIndex } from './flow-index';
import { OutboxRelay } from './outbox-relay';
import { PgClientGuard } from './pg-client-guard';
import { RunExecutor } from './run-executor.service';
import { RunQueueService } from './run-queue.service';
import { RunRepository } from './run.repository';
import { RunsController } from './runs.controller';
import { RunsService } from './runs.service';
import { loadRuntimeConfig, RUNTIME_CONFIG } from './runtime-config';
import { RuntimeMaintenance } from './runtime-maintenance.handlers';
import { RuntimeMetrics } from './runtime-metrics';
import { ScheduleWatchdog } from './schedule-watchdog';
import { TriggerMatcher } from './trigger-matcher.service';

const runtimeConfig = { provide: RUNTIME_CONFIG, useFactory: loadRuntimeConfig };

/** Runs API (HTTP process). */
@Module({
  imports: [CoreModule, FlowsModule],
  controllers: [RunsController],
  providers: [runtimeConfig, PgClientGuard, RunRepository, RunQueueService, RunsService],
})
export class RuntimeApiModule {}

/** Trigger matching, step execution, outbox relay, reconciler and reaper (worker process). */
@Module({
  imports: [CoreModule, WebhooksCoreModule, SmsWorkerModule],
  providers: [
    runtimeConfig,
    PgClientGuard,
    RunRepository,
    RunQueueService,
    FlowIndex,
    EmailSenderRepository,
    EmailSender,
    EffectPerformer,
    RuntimeMetrics,
    RunExecutor,
    TriggerMatcher,
    profileFoldProvider,
    OutboxRelay,
    RuntimeMaintenance,
    ScheduleWatchdog,
  ],
})
export class RuntimeWorkerModule {}

export { runtimeSchedules } from './runtime-schedules';
