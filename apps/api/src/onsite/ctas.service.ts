import { HttpStatus, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppError, conflict, notFound } from '../common/app-error';
import { parseWith } from '../common/zod-pipe';
import { IngestedEventsRepository } from '../ingest/ingested-events.repository';
import { InvalidationBus } from '../redis/invalidation-bus';
import { renderVariant, sanitizeConfig, WireCta } from './cta-render';
import {
  CreateCtaInput,
  CtaConfig,
  CtaConfigInputSchema,
  CtaConfigSchema,
  DuplicateCtaInput,
  PreviewCtaInput,
  UpdateCtaInput,
} from './cta.schemas';
import { CtaRepository, CtaRow } from './cta.repository';
import { InvalidationTopic } from '../common/invalidation-topics';

export interface CtaView {
  id: string;
  name: string;
  status: CtaRow['status'];
  revision: number;
  publishedVersion: number | null;
  config: CtaConfig;
  createdAt: Date;
  updatedAt: Date;
}

const toView = (r: CtaRow): CtaView => ({
  id: r.id,
  name: r.name,
  status: r.status,
  revision: r.revision,
  publishedVersion: r.published_version,
  config: r.draft,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const ctaNotFound = () => notFound('cta', 'CTA_NOT_FOUND');

/** Marketer API for CTAs: drafts, publish (an immutable version), duplicate, preview, stats. */
@Injectable()
export class CtasService {
  constructor(
    private readonly repo: CtaRepository,
    private readonly events: IngestedEventsRepository,
    private readonly bus: InvalidationBus,
  ) {}

  async list(siteId: string): Promise<CtaView[]> {
    return (await this.repo.list(siteId)).map(toView);
  }

  async get(siteId: string, id: string): Promise<CtaView> {
    const row = await this.repo.get(siteId, id);
    if (!row) throw ctaNotFound();
    return toView(row);
  }

  async create(siteId: string, input: CreateCtaInput): Promise<CtaView> {
    const id = input.id ?? randomUUID();
    const row = await this.repo.insert(siteId, id, input.name, sanitizeConfig(input.config));
    if (!row) throw conflict('CTA_ID_TAKEN', `id: a CTA with id ${id} exists`);
    return toView(row);
  }

  async update(siteId: string, id: string, input: UpdateCtaInput): Promise<CtaView> {
    const row = await this.repo.update(siteId, id, input.revision, {
      name: input.name,
      draft: input.config ? sanitizeConfig(input.config) : undefined,
    });
    if (row) return toView(row);
    const current = await this.repo.get(siteId, id);
    if (!current) throw ctaNotFound();
    if (current.status === 'archived') throw conflict('CTA_ARCHIVED', 'cta: is archived');
    throw conflict('REVISION_CONFLICT', `revision: the draft is at revision ${current.revision}`, {
      revision: current.revision,
    });
  }

  /** Validates the draft again (schemas may have tightened), snapshots it and serves it from now on. */
  async publish(siteId: string, id: string): Promise<CtaView> {
    const row = await this.repo.transaction(async (tx) => {
      const current = await this.repo.get(siteId, id, tx, true);
      if (!current) throw ctaNotFound();
      if (current.status === 'archived') throw conflict('CTA_ARCHIVED', 'cta: is archived');
      const config = sanitizeConfig(parseWith(CtaConfigInputSchema, current.draft));
      const version = await this.repo.insertVersion(tx, siteId, id, config);
      return this.repo.setStatus(siteId, id, 'published', version, tx);
    });
    await this.bus.publish(InvalidationTopic.Ctas, siteId);
    return toView(row!);
  }

  async unpublish(siteId: string, id: string): Promise<CtaView> {
    const current = await this.repo.get(siteId, id);
    if (!current) throw ctaNotFound();
    if (current.status !== 'published') throw conflict('CTA_NOT_PUBLISHED', 'cta: is not published');
    const row = await this.repo.setStatus(siteId, id, 'draft');
    await this.bus.publish(InvalidationTopic.Ctas, siteId);
    return toView(row!);
  }

  /** Archived CTAs stop showing; flow messages that point at them are skipped. */
  async archive(siteId: string, id: string): Promise<void> {
    const row = await this.repo.setStatus(siteId, id, 'archived');
    if (!row) throw ctaNotFound();
    await this.bus.publish(InvalidationTopic.Ctas, siteId);
  }

  async duplicate(siteId: string, id: string, input: DuplicateCtaInput): Promise<CtaView> {
    const source = await this.get(siteId, id);
    return this.create(siteId, {
      id: input.id,
      name: input.name ?? `${source.name} (copy)`.slice(0, 200),
      config: source.config,
    });
  }

  /** Renders every variant (or one) as the embed would receive it, with sample traits for tokens. */
  async preview(siteId: string, id: string, input: PreviewCtaInput): Promise<{ ctas: WireCta[] }> {
    const config = input.config ? sanitizeConfig(input.config) : (await this.get(siteId, id)).config;
    const parsed = CtaConfigSchema.parse(config);
    const view = { visitor: { traits: input.traits ?? {}, tags: [] } };
    const variants = parsed.variants.filter((v) => !input.variantId || v.id === input.variantId);
    if (!variants.length) throw new AppError(HttpStatus.NOT_FOUND, 'VARIANT_NOT_FOUND', 'variant not found');
    return { ctas: variants.map((v) => renderVariant(id, parsed, v, view)) };
  }

  async stats(siteId: string, id: string, days: number) {
    const cta = await this.get(siteId, id);
    const since = new Date(Date.now() - days * 86_400_000);
    const rows = await this.events.variantStats(siteId, id, since);
    const variants = cta.config.variants.map((v) => {
      const count = (name: string, field: 'events' | 'visitors' = 'events') =>
        Number(rows.find((r) => r.variant_id === v.id && r.name === name)?.[field] ?? 0);
      const impressions = count('cta_viewed');
      const conversions = count('cta_converted');
      return {
        variantId: v.id,
        name: v.name,
        weight: v.weight,
        impressions,
        visitors: count('cta_viewed', 'visitors'),
        clicks: count('cta_clicked'),
        closes: count('cta_closed'),
        conversions,
        formSubmits: count('form_submitted'),
        conversionRate: impressions ? conversions / impressions : 0,
      };
    });
    return { ctaId: id, since, variants };
  }
}
