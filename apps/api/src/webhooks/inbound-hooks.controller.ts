import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Public, SiteRole } from '../auth/principal';
import { ApiZodBody, idParam, zodPipe } from '../common/zod-pipe';
import { InboundHooksService } from './inbound-hooks.service';
import { RawBodyRequest } from './inbound-raw-body';
import { JSON_PATH_RE } from './json-path';
import { SECRET_RE } from './webhook-signature';
import { ApiZodResponse, Wire } from '../common/api-contract';
import { CreatedInboundHook, InboundHook } from './webhook.contracts';

const jsonPath = z.string().trim().max(200).regex(JSON_PATH_RE, 'must be a path like data.customer.id');
export const createInboundHookSchema = z.object({
  name: z.string().trim().min(1).max(100),
  eventPath: jsonPath,
  visitorPath: jsonPath,
  defaultEvent: z.string().trim().min(1).max(255).optional(),
  secret: z.union([z.literal(true), z.string().regex(SECRET_RE, 'must be a whsec_ secret')]).optional(),
});

@ApiTags('webhooks')
@Controller()
export class InboundHooksController {
  constructor(private readonly inbound: InboundHooksService) {}

  @Get('api/sites/:siteId/inbound-hooks')
  @ApiBearerAuth()
  @SiteRole('viewer')
  @ApiZodResponse([InboundHook])
  list(@Param('siteId') siteId: string): Promise<Wire<typeof InboundHook>[]> {
    return this.inbound.list(siteId);
  }

  @Post('api/sites/:siteId/inbound-hooks')
  @ApiBearerAuth()
  @SiteRole('editor')
  @ApiZodBody(createInboundHookSchema)
  @ApiZodResponse(CreatedInboundHook, 201)
  create(
    @Param('siteId') siteId: string,
    @Body(zodPipe(createInboundHookSchema)) body: z.infer<typeof createInboundHookSchema>,
  ): Promise<Wire<typeof CreatedInboundHook>> {
    return this.inbound.create(siteId, body);
  }

  @Delete('api/sites/:siteId/inbound-hooks/:hookId')
  @ApiBearerAuth()
  @HttpCode(204)
  @SiteRole('editor')
  async remove(@Param('siteId') siteId: string, @Param('hookId', idParam('inbound hook')) id: string) {
    await this.inbound.remove(siteId, id);
  }

  /** An integration posts its JSON here; the token in the path names the site and the hook. */
  @Post('v1/hooks/:token')
  @Public()
  @HttpCode(202)
  receive(@Param('token') token: string, @Req() req: RawBodyRequest) {
    return this.inbound.receive(token, req.rawBody, req.body, req.headers);
  }
}
