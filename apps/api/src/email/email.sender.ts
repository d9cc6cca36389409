import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { EngineEffect } from '@nudgeflow/engine';
import { createTransport, Transporter } from 'nodemailer';
import { notFound } from '../common/app-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { EmailSenderRepository } from './email-sender.repository';

export class EmailNotConfiguredError extends Error {
  readonly code = 'SMTP_NOT_CONFIGURED';
}

/**
 * send_email over SMTP (nodemailer), from the node's sender (its from name and address, reply-to);
 * a sender deleted since publish fails the action for good. The Message-ID is the step's
 * idempotency key, so MTAs can dedupe too.
 */
@Injectable()
export class EmailSender implements OnApplicationShutdown {
  private transport?: Transporter;

  constructor(
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
    private readonly senders: EmailSenderRepository,
  ) {}

  async send(
    siteId: string,
    e: Extract<EngineEffect, { kind: 'send_email' }>,
  ): Promise<{ messageId: string; response: string }> {
    if (!this.cfg.SMTP_URL) throw new EmailNotConfiguredError('SMTP_URL is not set');
    const sender = await this.senders.get(siteId, e.senderId);
    if (!sender) throw notFound(`email sender ${e.senderId}`, 'EMAIL_SENDER_NOT_FOUND');
    this.transport ??= createTransport(this.cfg.SMTP_URL);
    const domain = new URL(this.cfg.SMTP_URL).hostname || 'nudgeflow.local';
    const info = (await this.transport.sendMail({
      from: { name: sender.from_name, address: sender.from_address },
      ...(sender.reply_to ? { replyTo: sender.reply_to } : {}),
      to: e.to,
      subject: e.subject,
      ...(e.html !== null ? { html: e.html } : {}),
      ...(e.text !== null ? { text: e.text } : {}),
      messageId: `<${e.idempotencyKey}@${domain}>`,
      headers: { 'X-Nudgeflow-Idempotency-Key': e.idempotencyKey },
    })) as { messageId: string; response: string };
    return { messageId: info.messageId, response: info.response };
  }

  onApplicationShutdown(): void {
    this.transport?.close();
  }
}
