import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { SiteRole } from '../auth/principal';
import { idParam, zodPipe } from '../common/zod-pipe';
import { VisitorsService } from './visitors.service';

const listQuery = z.object({
  search: z.string().trim().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
});
const timelineQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  before: z.string().max(200).optional(),
});

@ApiTags('visitors')
@ApiBearerAuth()
@Controller('api/sites/:siteId/visitors')
export class VisitorsController {
  constructor(private readonly visitors: VisitorsService) {}

  @Get()
  @SiteRole('viewer')
  @ApiQuery({ name: 'search', required: false, description: 'user id, anonymous id, email or name' })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  list(@Param('siteId') siteId: string, @Query(zodPipe(listQuery)) q: z.infer<typeof listQuery>) {
    return this.visitors.list(siteId, q);
  }

  @Get(':visitorId')
  @SiteRole('viewer')
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'before', required: false })
  get(
    @Param('siteId') siteId: string,
    @Param('visitorId', idParam('visitor')) visitorId: string,
    @Query(zodPipe(timelineQuery)) q: z.infer<typeof timelineQuery>,
  ) {
    return this.visitors.get(siteId, visitorId, q);
  }
}
