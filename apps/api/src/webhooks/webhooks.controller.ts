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
import { ApiZodResponse, Wire } from '../common/api-contract';
import {
  WebhookEndpoint,
  WebhookEndpointSecret,
  WebhookEndpointWithSecret,
  WebhookMessage,
  WebhookMessageId,
  WebhookMessagePage,
  WebhookNotice,
  WebhookRequeued,
} from './webhook.contracts';

@ApiTags('webhooks')
@ApiBearerAuth()
@Controller('api/sites/:siteId/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get('endpoints')
  @SiteRole('viewer')
  @ApiZodResponse([WebhookEndpoint])
  list(@Param('siteId') siteId: string): Promise<Wire<typeof WebhookEndpoint>[]> {
    return this.webhooks.list(siteId);
  }

  @Post('endpoints')
  @SiteRole('editor')
  @ApiZodBody(createEndpointSchema)
  @ApiZodResponse(WebhookEndpointWithSecret, 201)
  create(
    @Param('siteId') siteId: string,
    @Body(zodPipe(createEndpointSchema)) body: CreateEndpointInput,
  ): Promise<Wire<typeof WebhookEndpointWithSecret>> {
    return this.webhooks.create(siteId, body);
  }

  @Get('endpoints/:endpointId')
  @SiteRole('viewer')
  @ApiZodResponse(WebhookEndpoint)
  get(
    @Param('siteId') siteId: string,
    @Param('endpointId', idParam('webhook endpoint')) id: string,
  ): Promise<Wire<typeof WebhookEndpoint>> {
    return this.webhooks.get(siteId, id);
  }

  @Patch('endpoints/:endpointId')
  @SiteRole('editor')
  @ApiZodBody(updateEndpointSchema)
  @ApiZodResponse(WebhookEndpoint)
  update(
    @Param('siteId') siteId: string,
    @Param('endpointId', idParam('webhook endpoint')) id: string,
    @Body(zodPipe(updateEndpointSchema)) body: UpdateEndpointInput,
  ): Promise<Wire<typeof WebhookEndpoint>> {
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
  @ApiZodResponse(WebhookEndpointSecret)
  secret(
    @Param('siteId') siteId: string,
    @Param('endpointId', idParam('webhook endpoint')) id: string,
  ): Promise<Wire<typeof WebhookEndpointSecret>> {
    return this.webhooks.secret(siteId, id);
  }

  @Post('endpoints/:endpointId/rotate-secret')
  @SiteRole('editor')
  @ApiZodBody(rotateSecretSchema)
  @ApiZodResponse(WebhookEndpointWithSecret, 201)
  rotate(
    @Param('siteId') siteId: string,
    @Param('endpointId', idParam('webhook endpoint')) id: string,
    @Body(zodPipe(rotateSecretSchema)) body: z.infer<typeof rotateSecretSchema>,
  ): Promise<Wire<typeof WebhookEndpointWithSecret>> {
    return this.webhooks.rotate(siteId, id, body.overlapSeconds);
  }

  @Post('endpoints/:endpointId/test')
  @SiteRole('editor')
  @ApiZodBody(testMessageSchema)
  @ApiZodResponse(WebhookMessageId, 201)
  test(
    @Param('siteId') siteId: string,
    @Param('endpointId', idParam('webhook endpoint')) id: string,
    @Body(zodPipe(testMessageSchema)) body: z.infer<typeof testMessageSchema>,
  ): Promise<Wire<typeof WebhookMessageId>> {
    return this.webhooks.sendTest(siteId, id, body);
  }

  @Post('endpoints/:endpointId/recover')
  @SiteRole('editor')
  @ApiZodBody(recoverSchema)
  @ApiZodResponse(WebhookRequeued, 201)
  recover(
    @Param('siteId') siteId: string,
    @Param('endpointId', idParam('webhook endpoint')) id: string,
    @Body(zodPipe(recoverSchema)) body: z.infer<typeof recoverSchema>,
  ): Promise<Wire<typeof WebhookRequeued>> {
    return this.webhooks.recover(siteId, id, new Date(body.since));
  }

  @Get('messages')
  @SiteRole('viewer')
  @ApiZodResponse(WebhookMessagePage)
  messages(
    @Param('siteId') siteId: string,
    @Query(zodPipe(listMessagesSchema)) q: ListMessagesQuery,
  ): Promise<Wire<typeof WebhookMessagePage>> {
    return this.webhooks.messages(siteId, q);
  }

  @Get('messages/:messageId')
  @SiteRole('viewer')
  @ApiZodResponse(WebhookMessage)
  message(
    @Param('siteId') siteId: string,
    @Param('messageId', idParam('webhook message')) id: string,
  ): Promise<Wire<typeof WebhookMessage>> {
    return this.webhooks.message(siteId, id);
  }

  @Post('messages/:messageId/resend')
  @SiteRole('editor')
  @ApiZodResponse(WebhookMessageId, 201)
  resend(
    @Param('siteId') siteId: string,
    @Param('messageId', idParam('webhook message')) id: string,
  ): Promise<Wire<typeof WebhookMessageId>> {
    return this.webhooks.resend(siteId, id);
  }

  @Get('notices')
  @SiteRole('viewer')
  @ApiZodResponse([WebhookNotice])
  notices(@Param('siteId') siteId: string): Promise<Wire<typeof WebhookNotice>[]> {
    return this.webhooks.notices(siteId);
  }
}
