import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  PipeTransform,
  Post,
  Put,
  Query,
} from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { IdSchema } from '@nudgeflow/flow-schema';
import { SiteRole } from '../auth/principal';
import { notFound } from '../common/app-error';
import { ApiZodBody, zodPipe } from '../common/zod-pipe';
import {
  CreateCtaInput,
  createCtaSchema,
  DuplicateCtaInput,
  duplicateCtaSchema,
  PreviewCtaInput,
  previewCtaSchema,
  UpdateCtaInput,
  updateCtaSchema,
} from './cta.schemas';
import { CtasService } from './ctas.service';

/** `:ctaId` in paths: a CTA id (letters, digits, `_.:-`); anything else is simply not found. */
const ctaIdParam: PipeTransform<string, string> = {
  transform: (value: string) => {
    if (!IdSchema.safeParse(value).success) throw notFound('cta', 'CTA_NOT_FOUND');
    return value;
  },
};

const daysQuery: PipeTransform<string | undefined, number> = {
  transform: (value) => {
    const n = value === undefined ? 30 : Number(value);
    return Number.isInteger(n) && n >= 1 && n <= 365 ? n : 30;
  },
};

@ApiTags('ctas')
@ApiBearerAuth()
@Controller('api/sites/:siteId/ctas')
export class CtasController {
  constructor(private readonly ctas: CtasService) {}

  @Get()
  @SiteRole('viewer')
  list(@Param('siteId') siteId: string) {
    return this.ctas.list(siteId);
  }

  @Post()
  @SiteRole('editor')
  @ApiZodBody(createCtaSchema)
  create(@Param('siteId') siteId: string, @Body(zodPipe(createCtaSchema)) body: CreateCtaInput) {
    return this.ctas.create(siteId, body);
  }

  @Get(':ctaId')
  @SiteRole('viewer')
  get(@Param('siteId') siteId: string, @Param('ctaId', ctaIdParam) id: string) {
    return this.ctas.get(siteId, id);
  }

  /** Saves the draft (name and/or config) if `revision` is still current; 409 otherwise. */
  @Put(':ctaId')
  @SiteRole('editor')
  @ApiZodBody(updateCtaSchema)
  update(
    @Param('siteId') siteId: string,
    @Param('ctaId', ctaIdParam) id: string,
    @Body(zodPipe(updateCtaSchema)) body: UpdateCtaInput,
  ) {
    return this.ctas.update(siteId, id, body);
  }

  /** Archives: the CTA stops showing at once and leaves the list. */
  @Delete(':ctaId')
  @SiteRole('editor')
  @HttpCode(204)
  async archive(@Param('siteId') siteId: string, @Param('ctaId', ctaIdParam) id: string): Promise<void> {
    await this.ctas.archive(siteId, id);
  }

  @Post(':ctaId/publish')
  @SiteRole('editor')
  publish(@Param('siteId') siteId: string, @Param('ctaId', ctaIdParam) id: string) {
    return this.ctas.publish(siteId, id);
  }

  @Post(':ctaId/unpublish')
  @SiteRole('editor')
  unpublish(@Param('siteId') siteId: string, @Param('ctaId', ctaIdParam) id: string) {
    return this.ctas.unpublish(siteId, id);
  }

  @Post(':ctaId/duplicate')
  @SiteRole('editor')
  @ApiZodBody(duplicateCtaSchema)
  duplicate(
    @Param('siteId') siteId: string,
    @Param('ctaId', ctaIdParam) id: string,
    @Body(zodPipe(duplicateCtaSchema)) body: DuplicateCtaInput,
  ) {
    return this.ctas.duplicate(siteId, id, body);
  }

  /** The CTA as the embed would receive it (every variant, or `variantId`), with sample `traits`. */
  @Post(':ctaId/preview')
  @SiteRole('viewer')
  @HttpCode(200)
  @ApiZodBody(previewCtaSchema)
  preview(
    @Param('siteId') siteId: string,
    @Param('ctaId', ctaIdParam) id: string,
    @Body(zodPipe(previewCtaSchema)) body: PreviewCtaInput,
  ) {
    return this.ctas.preview(siteId, id, body);
  }

  /** Impressions, clicks, closes and conversions per variant over the last `days` (default 30). */
  @Get(':ctaId/stats')
  @SiteRole('viewer')
  stats(
    @Param('siteId') siteId: string,
    @Param('ctaId', ctaIdParam) id: string,
    @Query('days', daysQuery) days: number,
  ) {
    return this.ctas.stats(siteId, id, days);
  }
}
