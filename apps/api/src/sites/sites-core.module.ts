import { Module } from '@nestjs/common';
import { SiteDirectory } from '../auth/site-directory';
import { CoreModule } from '../core.module';
import { SiteKeyRepository } from './site-key.repository';
import { SiteKeyService } from './site-key.service';
import { SiteRepository } from './site.repository';
import { SitesDirectory } from './sites-directory';

const exported = [
  SiteRepository,
  SiteKeyRepository,
  SiteKeyService,
  // Access control asks the sites feature through its port (auth never imports sites).
  { provide: SiteDirectory, useClass: SitesDirectory },
];

/**
 * The sites feature's repositories and key service, for any process and feature that reads sites
 * (ingest's key check, the decision API, reports, the runtime's time zones, backtests), and its
 * answer to auth's `SiteDirectory`.
 */
@Module({
  imports: [CoreModule],
  providers: exported,
  exports: exported,
})
export class SitesCoreModule {}
