import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { AnalyticsApiModule } from './analytics/analytics.module';
import { AccountsController } from './auth/accounts.controller';
import { AuthController } from './auth/auth.controller';
import { AuthGuard } from './auth/auth.guard';
import { AuthService } from './auth/auth.service';
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
import { SitesController } from './sites/sites.controller';
import { SitesService } from './sites/sites.service';
import { SiteIdentityService } from './sites/site-identity.service';
import { VisitorsModule } from './visitors/visitors.module';
import { WebhooksModule } from './webhooks/webhooks.module';

/** The HTTP process: marketer API, ingestion, decisions, docs, health and metrics. */
@Module({
  imports: [
    CoreModule,
    HealthModule,
    MetricsModule,
    IngestModule,
    VisitorsModule.forApi(IngestedEventsRepository),
    WebhooksModule,
    FlowsModule,
    RuntimeApiModule,
    AnalyticsApiModule,
    OnsiteModule,
    EmailApiModule,
    SmsApiModule,
    BacktestModule,
    LiftModule,
  ],
  controllers: [AuthController, SitesController, AccountsController],
  providers: [
    AuthService,
    SitesService,
    SiteIdentityService,
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_FILTER, useClass: HttpErrorFilter },
  ],
})
export class AppModule {}
