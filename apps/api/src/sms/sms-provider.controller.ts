import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { SiteRole } from '../auth/principal';
import { ApiZodResponse, Wire } from '../common/api-contract';
import { AppError, notFound } from '../common/app-error';
import { ApiZodBody, zodPipe } from '../common/zod-pipe';
import { SsrfError } from '../webhooks/ssrf-guard';
import { WebhookSecrets } from '../webhooks/webhook-secrets';
import { WebhookSender } from '../webhooks/webhook-sender';
import { SmsProvider } from './sms-provider.contracts';
import { SmsProviderRepository, SmsProviderRow } from './sms-provider.repository';
import { putSmsProviderSchema, PutSmsProviderInput } from './sms-provider.schemas';

const providerNotFound = () => notFound('SMS provider', 'SMS_PROVIDER_NOT_FOUND');

const view = (r: SmsProviderRow): Wire<typeof SmsProvider> => ({
  baseUrl: r.base_url,
  accountSid: r.account_sid,
  fromNumber: r.from_number,
  authTokenSet: true,
  updatedAt: r.updated_at,
});

/**
 * The site's SMS provider account (Twilio-compatible), used by `send_sms` nodes. The base URL passes
 * the same outbound guard as webhook endpoints; the auth token is sealed like webhook secrets.
 */
@ApiTags('sms')
@ApiBearerAuth()
@Controller('api/sites/:siteId/sms-provider')
export class SmsProviderController {
  constructor(
    private readonly providers: SmsProviderRepository,
    private readonly secrets: WebhookSecrets,
    private readonly outbound: WebhookSender,
  ) {}

  @Get()
  @SiteRole('viewer')
  @ApiZodResponse(SmsProvider)
  async get(@Param('siteId') siteId: string): Promise<Wire<typeof SmsProvider>> {
    const row = await this.providers.get(siteId);
    if (!row) throw providerNotFound();
    return view(row);
  }

  @Put()
  @SiteRole('editor')
  @ApiZodBody(putSmsProviderSchema)
  @ApiZodResponse(SmsProvider)
  async put(
    @Param('siteId') siteId: string,
    @Body(zodPipe(putSmsProviderSchema)) body: PutSmsProviderInput,
  ): Promise<Wire<typeof SmsProvider>> {
    try {
      await this.outbound.vetUrl(body.baseUrl);
    } catch (err) {
      if (err instanceof SsrfError)
        throw new AppError(HttpStatus.BAD_REQUEST, 'SMS_PROVIDER_URL_FORBIDDEN', `baseUrl: ${err.message}`, {
          path: 'baseUrl',
        });
      throw err;
    }
    const write = {
      baseUrl: body.baseUrl.replace(/\/+$/, ''),
      accountSid: body.accountSid,
      fromNumber: body.fromNumber,
    };
    const now = new Date();
    if (body.authToken !== undefined)
      return view(await this.providers.upsert(siteId, write, this.secrets.seal(body.authToken), now));
    const row = await this.providers.update(siteId, write, now);
    if (!row)
      throw new AppError(
        HttpStatus.BAD_REQUEST,
        'VALIDATION_FAILED',
        'authToken: required for a new provider',
        {
          path: ['authToken'],
        },
      );
    return view(row);
  }

  @Delete()
  @HttpCode(204)
  @SiteRole('editor')
  async remove(@Param('siteId') siteId: string): Promise<void> {
    if (!(await this.providers.delete(siteId))) throw providerNotFound();
  }
}
