import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, SiteRole, UserOnly } from '../auth/principal';
import { forbidden } from '../common/app-error';
import { ApiZodBody, idParam, zodPipe } from '../common/zod-pipe';
import {
  createKeySchema,
  CreateSiteInput,
  createSiteSchema,
  identitySettingsSchema,
  rotateIdentitySecretSchema,
  UpdateSiteInput,
  updateSiteSchema,
} from './site.schemas';
import { SiteIdentityService } from './site-identity.service';
import { SiteKeyService } from './site-key.service';
import { SitesService } from './sites.service';
import { ApiZodResponse, Wire } from '../common/api-contract';
import { CreatedSite, Site, SiteKey } from './site.contracts';

const userId = (p: Principal) => {
  if (p.type !== 'user') throw forbidden('only marketers manage sites');
  return p.userId;
};

@ApiTags('sites')
@ApiBearerAuth()
@Controller('api/sites')
export class SitesController {
  constructor(
    private readonly sites: SitesService,
    private readonly keys: SiteKeyService,
    private readonly identity: SiteIdentityService,
  ) {}

  @Get()
  @UserOnly()
  @ApiZodResponse([Site])
  list(@CurrentPrincipal() p: Principal): Promise<Wire<typeof Site>[]> {
    return this.sites.listForUser(userId(p));
  }

  @Post()
  @UserOnly()
  @ApiZodBody(createSiteSchema)
  @ApiZodResponse(CreatedSite, 201)
  create(
    @CurrentPrincipal() p: Principal,
    @Body(zodPipe(createSiteSchema)) body: CreateSiteInput,
  ): Promise<Wire<typeof CreatedSite>> {
    return this.sites.create(userId(p), body);
  }

  @Get(':siteId')
  @SiteRole('viewer')
  @ApiZodResponse(Site)
  get(@Param('siteId') siteId: string): Promise<Wire<typeof Site>> {
    return this.sites.get(siteId);
  }

  @Patch(':siteId')
  @SiteRole('editor')
  @ApiZodBody(updateSiteSchema)
  @ApiZodResponse(Site)
  update(
    @Param('siteId') siteId: string,
    @Body(zodPipe(updateSiteSchema)) body: UpdateSiteInput,
  ): Promise<Wire<typeof Site>> {
    return this.sites.update(siteId, body);
  }

  @Delete(':siteId')
  @HttpCode(204)
  @SiteRole('owner')
  @UserOnly()
  async remove(@Param('siteId') siteId: string) {
    await this.sites.remove(siteId);
  }

  @Get(':siteId/keys')
  @SiteRole('viewer')
  @UserOnly()
  @ApiZodResponse([SiteKey])
  listKeys(@Param('siteId') siteId: string): Promise<Wire<typeof SiteKey>[]> {
    return this.keys.list(siteId);
  }

  @Post(':siteId/keys')
  @SiteRole('owner')
  @UserOnly()
  @ApiZodBody(createKeySchema)
  @ApiZodResponse(SiteKey, 201)
  createKey(
    @Param('siteId') siteId: string,
    @Body(zodPipe(createKeySchema)) body: { kind: 'write' | 'secret'; name: string },
  ): Promise<Wire<typeof SiteKey>> {
    return this.keys.create(siteId, body.kind, body.name);
  }

  @Post(':siteId/keys/:keyId/rotate')
  @SiteRole('owner')
  @UserOnly()
  @ApiZodResponse(SiteKey, 201)
  rotateKey(
    @Param('siteId') siteId: string,
    @Param('keyId', idParam('key')) keyId: string,
  ): Promise<Wire<typeof SiteKey>> {
    return this.keys.rotate(siteId, keyId);
  }

  @Delete(':siteId/keys/:keyId')
  @SiteRole('owner')
  @UserOnly()
  @ApiZodResponse(SiteKey)
  revokeKey(
    @Param('siteId') siteId: string,
    @Param('keyId', idParam('key')) keyId: string,
  ): Promise<Wire<typeof SiteKey>> {
    return this.keys.revoke(siteId, keyId);
  }

  /** Identity verification settings with the secret: editors and owners only (viewers never see it). */
  @Get(':siteId/identity')
  @SiteRole('editor')
  @UserOnly()
  getIdentity(@Param('siteId') siteId: string) {
    return this.identity.get(siteId);
  }

  /** Turning verification on or off changes who a browser may claim to be: owners only. */
  @Patch(':siteId/identity')
  @SiteRole('owner')
  @UserOnly()
  @ApiZodBody(identitySettingsSchema)
  setIdentity(
    @Param('siteId') siteId: string,
    @Body(zodPipe(identitySettingsSchema)) body: { enabled: boolean },
  ) {
    return this.identity.setEnabled(siteId, body.enabled);
  }

  @Post(':siteId/identity/rotate')
  @SiteRole('owner')
  @UserOnly()
  @ApiZodBody(rotateIdentitySecretSchema)
  rotateIdentity(
    @Param('siteId') siteId: string,
    @Body(zodPipe(rotateIdentitySecretSchema)) body: { graceHours: number },
  ) {
    return this.identity.rotate(siteId, body.graceHours);
  }
}
