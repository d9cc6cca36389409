import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AnalyticsApiModule } from './analytics/analytics.module';
import { AuthModule } from './auth/auth.module';
import { BacktestModule } from './backtest/backtest.module';
import { LiftModule } from './lift/lift.module';
import { HttpErrorFilter } from './common/http-error.filter';
import { CoreModule } from './core.module';
import { EmailApiModule } from './email/email.module';
import { FlowsModule } from './flows/flows.module';
import { HealthModule } from './health/health.module';
import { IngestedEventsRepository } from './ingest/ingested-events.repository';
import { IngestModule } from './ingest/ingest.module';
import { MetricsModule } from './metrics/metrics.module';
import { OnsiteModule } from './onsite/onsite.module';
import { RuntimeApiModule } from './runtime/runtime.module';
import { SmsApiModule } from './sms/sms.module';
import { SitesCoreModule } from './sites/sites-core.module';
import { SitesModule } from './sites/sites.module';
import { VisitorsModule } from './visitors/visitors.module';
import { WebhooksModule } from './webhooks/webhooks.module';

/** The HTTP process: marketer API, ingestion, decisions, docs, health and metrics. */
@Module({
  imports: [
    CoreModule,
    AuthModule.withSites(SitesCoreModule),
    SitesModule,
    HealthModule,
    MetricsModule,
    IngestModule,
    VisitorsModule.forApi(IngestedEventsRepository),
    WebhooksModule,
    FlowsModule.withActivity([RuntimeApiModule, AnalyticsApiModule]),
    RuntimeApiModule,
    AnalyticsApiModule,
    OnsiteModule,
    EmailApiModule,
    SmsApiModule,
    BacktestModule,
    LiftModule,
  ],
  providers: [{ provide: APP_FILTER, useClass: HttpErrorFilter }],
})
export class AppModule {}
