import { Module } from '@nestjs/common';
import { CoreModule } from '../core.module';
import { EmailWorkerModule } from '../email/email.module';
import { FlowVersionRepository } from '../flows/flow-version.repository';
import { FlowLiveRuns } from '../flows/flow-activity';
import { FlowsCoreModule } from '../flows/flows-core.module';
import { IngestEventsModule } from '../ingest/ingest-events.module';
import { FoldHandoffSink, profileFoldProvider } from '../ingest/profile-fold';
import { OnsiteWorkerModule } from '../onsite/onsite.module';
import { SitesCoreModule } from '../sites/sites-core.module';
import { SmsWorkerModule } from '../sms/sms.module';
import { VisitorsWorkerModule } from '../visitors/visitors.module';
import { WebhooksCoreModule } from '../webhooks/webhooks-core.module';
import { EffectPort } from './effect-port';
import { FlowIndex } from './flow-index';
import { OutboxRelay } from './outbox-relay';
import { PgClientGuard } from './pg-client-guard';
import { RunAdvancer } from './run-advancer.service';
import { RunEnrolmentRepository } from './run-enrolment.repository';
import { TriggerHandoffWriter } from './trigger-handoff-writer';
import { RunExecutor } from './run-executor.service';
import { RunMaintenanceRepository } from './run-maintenance.repository';
import { RunQueryRepository } from './run-query.repository';
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

const flowLiveRuns = { provide: FlowLiveRuns, useExisting: RunQueryRepository };

/**
 * Runs API (HTTP process); the runs' reads other features make through `RunQueryRepository` (lift)
 * and flows' `FlowLiveRuns` port.
 */
@Module({
  imports: [CoreModule, FlowsCoreModule],
  controllers: [RunsController],
  providers: [
    runtimeConfig,
    PgClientGuard,
    RunRepository,
    RunQueryRepository,
    RunQueueService,
    RunsService,
    flowLiveRuns,
  ],
  exports: [RunQueryRepository, flowLiveRuns],
})
export class RuntimeApiModule {}

/**
 * Trigger matching, step execution, outbox relay, reconciler and reaper (worker process). The
 * features whose effects the runtime causes come in as modules, reached only through `EffectPort`.
 */
@Module({
  imports: [
    CoreModule,
    SitesCoreModule, // the sites' time zones
    IngestEventsModule,
    VisitorsWorkerModule,
    OnsiteWorkerModule,
    WebhooksCoreModule,
    EmailWorkerModule,
    SmsWorkerModule,
  ],
  providers: [
    runtimeConfig,
    PgClientGuard,
    RunRepository,
    RunEnrolmentRepository,
    RunMaintenanceRepository,
    RunQueueService,
    FlowVersionRepository, // the flows' live versions, read through their repository
    FlowIndex,
    EffectPort,
    RuntimeMetrics,
    RunAdvancer,
    RunExecutor,
    TriggerMatcher,
    profileFoldProvider, // ingest's fold: profiles through visitors' `VisitorFold`, hand-offs through:
    { provide: FoldHandoffSink, useClass: TriggerHandoffWriter },
    OutboxRelay,
    RuntimeMaintenance,
    ScheduleWatchdog,
  ],
})
export class RuntimeWorkerModule {}

export { runtimeSchedules } from './runtime-schedules';
