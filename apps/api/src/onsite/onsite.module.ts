import { Module } from '@nestjs/common';
import { CoreModule } from '../core.module';
import { IngestEventsModule } from '../ingest/ingest-events.module';
import { SitesCoreModule } from '../sites/sites-core.module';
import { VisitorRepository } from '../visitors/visitor.repository';
import { CtaRepository } from './cta.repository';
import { CtasController } from './ctas.controller';
import { CtasService } from './ctas.service';
import { DecideController } from './decide.controller';
import { DecideService } from './decide.service';
import { LiveHub } from './live-hub';
import { OnsiteMessageRepository } from './onsite-message.repository';
import { OnsiteCors } from './onsite-cors';
import { OnsitePushAnnouncer } from './onsite-push.announcer';
import { PublishedCtaCache } from './published-cta.cache';
import { ShowCtaEffect } from './show-cta.effect';
import { VisitorStateRepository } from './visitor-state.repository';

/** HTTP side of on-site CTAs: the marketer API, the decision API and live push. */
@Module({
  // CTA variant counts come from ingest's events; the decision API checks site keys through sites.
  imports: [CoreModule, IngestEventsModule, SitesCoreModule],
  controllers: [CtasController, DecideController],
  providers: [
    CtaRepository,
    VisitorRepository, // live push: a visitor's anonymous ids
    CtasService,
    PublishedCtaCache,
    VisitorStateRepository,
    DecideService,
    LiveHub,
    OnsiteCors,
  ],
})
export class OnsiteModule {}

/**
 * Worker side: the show_cta effect (inject `ShowCtaEffect`), its messages announced for live push, and
 * the CTAs' repository (a backtest replays their caps).
 */
@Module({
  imports: [CoreModule],
  providers: [OnsiteMessageRepository, ShowCtaEffect, OnsitePushAnnouncer, CtaRepository],
  exports: [ShowCtaEffect, CtaRepository],
})
export class OnsiteWorkerModule {}
