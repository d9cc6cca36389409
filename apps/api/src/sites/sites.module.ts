import { Module } from '@nestjs/common';
import { AuthCoreModule } from '../auth/auth-core.module';
import { CoreModule } from '../core.module';
import { SiteIdentityService } from './site-identity.service';
import { SitesController } from './sites.controller';
import { SitesCoreModule } from './sites-core.module';
import { SitesService } from './sites.service';

/** Sites, their keys and identity verification (HTTP process); the repositories are `SitesCoreModule`'s. */
@Module({
  imports: [CoreModule, SitesCoreModule, AuthCoreModule],
  controllers: [SitesController],
  providers: [SitesService, SiteIdentityService],
})
export class SitesModule {}
