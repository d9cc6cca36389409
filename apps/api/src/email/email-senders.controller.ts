import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { SiteRole } from '../auth/principal';
import { notFound } from '../common/app-error';
import { ApiZodBody, idParam, zodPipe } from '../common/zod-pipe';
import { EmailSenderRepository, EmailSenderRow } from './email-sender.repository';
import { createEmailSenderSchema, CreateEmailSenderInput } from './email-sender.schemas';
import { ApiZodResponse, Wire } from '../common/api-contract';
import { EmailSender } from './email-sender.contracts';

const senderNotFound = () => notFound('email sender', 'EMAIL_SENDER_NOT_FOUND');

export const emailSenderView = (r: EmailSenderRow) => ({
  id: r.id,
  name: r.name,
  fromName: r.from_name,
  fromAddress: r.from_address,
  replyTo: r.reply_to,
  createdAt: r.created_at,
});

/** The site's email senders, chosen by `send_email` nodes (checked on publish). */
@ApiTags('email')
@ApiBearerAuth()
@Controller('api/sites/:siteId/email-senders')
export class EmailSendersController {
  constructor(private readonly senders: EmailSenderRepository) {}

  @Get()
  @SiteRole('viewer')
  @ApiZodResponse([EmailSender])
  async list(@Param('siteId') siteId: string): Promise<Wire<typeof EmailSender>[]> {
    return (await this.senders.list(siteId)).map(emailSenderView);
  }

  @Post()
  @SiteRole('editor')
  @ApiZodBody(createEmailSenderSchema)
  @ApiZodResponse(EmailSender, 201)
  async create(
    @Param('siteId') siteId: string,
    @Body(zodPipe(createEmailSenderSchema)) body: CreateEmailSenderInput,
  ): Promise<Wire<typeof EmailSender>> {
    return emailSenderView(await this.senders.insert(siteId, { ...body, replyTo: body.replyTo ?? null }));
  }

  @Get(':senderId')
  @SiteRole('viewer')
  @ApiZodResponse(EmailSender)
  async get(
    @Param('siteId') siteId: string,
    @Param('senderId', idParam('email sender')) id: string,
  ): Promise<Wire<typeof EmailSender>> {
    const row = await this.senders.get(siteId, id);
    if (!row) throw senderNotFound();
    return emailSenderView(row);
  }

  @Delete(':senderId')
  @HttpCode(204)
  @SiteRole('editor')
  async remove(@Param('siteId') siteId: string, @Param('senderId', idParam('email sender')) id: string) {
    if (!(await this.senders.delete(siteId, id))) throw senderNotFound();
  }
}
