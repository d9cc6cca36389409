import { Module } from '@nestjs/common';
import { SiteIdentityService } from './site-identity.service';
import { SitesController } from './sites.controller';
import { SitesService } from './sites.service';

/** Sites, their keys and identity verification (HTTP process); the repositories are provided by
 * `CoreModule` (global: the worker uses them too). */
@Module({
  controllers: [SitesController],
  providers: [SitesService, SiteIdentityService],
})
export class SitesModule {}
