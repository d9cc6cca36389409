import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { SiteRole } from '../auth/principal';
import { ApiZodBody, idParam, zodPipe } from '../common/zod-pipe';
import {
  createEndpointSchema,
  CreateEndpointInput,
  listMessagesSchema,
  ListMessagesQuery,
  recoverSchema,
  rotateSecretSchema,
  testMessageSchema,
  updateEndpointSchema,
  UpdateEndpointInput,
} from './webhook.schemas';
import { WebhooksService } from './webhooks.service';

@ApiTags('webhooks')
@ApiBearerAuth()
@Controller('api/sites/:siteId/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get('endpoints')
  @SiteRole('viewer')
  list(@Param('siteId') siteId: string) {
    return this.webhooks.list(siteId);
  }

  @Post('endpoints')
  @SiteRole('editor')
  @ApiZodBody(createEndpointSchema)
  create(@Param('siteId') siteId: string, @Body(zodPipe(createEndpointSchema)) body: CreateEndpointInput) {
    return this.webhooks.create(siteId, body);
  }

  @Get('endpoints/:endpointId')
  @SiteRole('viewer')
  get(@Param('siteId') siteId: string, @Param('endpointId', idParam('webhook endpoint')) id: string) {
    return this.webhooks.get(siteId, id);
  }

  @Patch('endpoints/:endpointId')
  @SiteRole('editor')
  @ApiZodBody(updateEndpointSchema)
  update(
    @Param('siteId') siteId: string,
    @Param('endpointId', idParam('webhook endpoint')) id: string,
    @Body(zodPipe(updateEndpointSchema)) body: UpdateEndpointInput,
  ) {
    return this.webhooks.update(siteId, id, body);
  }

  @Delete('endpoints/:endpointId')
  @HttpCode(204)
  @SiteRole('editor')
  async remove(
    @Param('siteId') siteId: string,
    @Param('endpointId', idParam('webhook endpoint')) id: string,
  ) {
    await this.webhooks.remove(siteId, id);
  }

  @Get('endpoints/:endpointId/secret')
  @SiteRole('editor')
  secret(@Param('siteId') siteId: string, @Param('endpointId', idParam('webhook endpoint')) id: string) {
    return this.webhooks.secret(siteId, id);
  }

  @Post('endpoints/:endpointId/rotate-secret')
  @SiteRole('editor')
  @ApiZodBody(rotateSecretSchema)
  rotate(
    @Param('siteId') siteId: string,
    @Param('endpointId', idParam('webhook endpoint')) id: string,
    @Body(zodPipe(rotateSecretSchema)) body: z.infer<typeof rotateSecretSchema>,
  ) {
    return this.webhooks.rotate(siteId, id, body.overlapSeconds);
  }

  @Post('endpoints/:endpointId/test')
  @SiteRole('editor')
  @ApiZodBody(testMessageSchema)
  test(
    @Param('siteId') siteId: string,
    @Param('endpointId', idParam('webhook endpoint')) id: string,
    @Body(zodPipe(testMessageSchema)) body: z.infer<typeof testMessageSchema>,
  ) {
    return this.webhooks.sendTest(siteId, id, body);
  }

  @Post('endpoints/:endpointId/recover')
  @SiteRole('editor')
  @ApiZodBody(recoverSchema)
  recover(
    @Param('siteId') siteId: string,
    @Param('endpointId', idParam('webhook endpoint')) id: string,
    @Body(zodPipe(recoverSchema)) body: z.infer<typeof recoverSchema>,
  ) {
    return this.webhooks.recover(siteId, id, new Date(body.since));
  }

  @Get('messages')
  @SiteRole('viewer')
  messages(@Param('siteId') siteId: string, @Query(zodPipe(listMessagesSchema)) q: ListMessagesQuery) {
    return this.webhooks.messages(siteId, q);
  }

  @Get('messages/:messageId')
  @SiteRole('viewer')
  message(@Param('siteId') siteId: string, @Param('messageId', idParam('webhook message')) id: string) {
    return this.webhooks.message(siteId, id);
  }

  @Post('messages/:messageId/resend')
  @SiteRole('editor')
  resend(@Param('siteId') siteId: string, @Param('messageId', idParam('webhook message')) id: string) {
    return this.webhooks.resend(siteId, id);
  }

  @Get('notices')
  @SiteRole('viewer')
  notices(@Param('siteId') siteId: string) {
    return this.webhooks.notices(siteId);
  }
}
