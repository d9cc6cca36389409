import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { SiteRole } from '../auth/principal';
import { ApiZodResponse, Wire } from '../common/api-contract';
import { idParam } from '../common/zod-pipe';
import { FlowLift } from './lift.contracts';
import { LiftService } from './lift.service';

/** The flow's measured lift: goal conversion of treated vs held-out visitors, per version. */
@ApiTags('flows')
@ApiBearerAuth()
@Controller('api/sites/:siteId/flows/:flowId/lift')
export class LiftController {
  constructor(private readonly lift: LiftService) {}

  @Get()
  @SiteRole('viewer')
  @ApiZodResponse(FlowLift)
  get(
    @Param('siteId') siteId: string,
    @Param('flowId', idParam('flow')) flowId: string,
  ): Promise<Wire<typeof FlowLift>> {
    return this.lift.flowLift(siteId, flowId);
  }
}
