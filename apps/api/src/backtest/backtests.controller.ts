import { Body, Controller, Delete, Get, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, SiteRole } from '../auth/principal';
import { ApiZodResponse, Wire } from '../common/api-contract';
import { ApiZodBody, idParam, zodPipe } from '../common/zod-pipe';
import { Backtest } from './backtest.contracts';
import { startBacktestSchema, StartBacktestInput } from './backtest.schemas';
import { BacktestService } from './backtest.service';

/** Backtests of a flow's draft or version over a past window of the site's events. */
@ApiTags('backtests')
@ApiBearerAuth()
@Controller('api/sites/:siteId/flows/:flowId/backtests')
export class BacktestsController {
  constructor(private readonly backtests: BacktestService) {}

  @Post()
  @SiteRole('editor')
  @ApiZodBody(startBacktestSchema)
  @ApiZodResponse(Backtest, 201)
  start(
    @Param('siteId') siteId: string,
    @Param('flowId', idParam('flow')) flowId: string,
    @Body(zodPipe(startBacktestSchema)) body: StartBacktestInput,
    @CurrentPrincipal() p: Principal,
  ): Promise<Wire<typeof Backtest>> {
    return this.backtests.start(siteId, flowId, body, p.type === 'user' ? p.userId : null);
  }

  @Get()
  @SiteRole('viewer')
  @ApiZodResponse([Backtest])
  list(
    @Param('siteId') siteId: string,
    @Param('flowId', idParam('flow')) flowId: string,
  ): Promise<Wire<typeof Backtest>[]> {
    return this.backtests.list(siteId, flowId);
  }

  /** Progress while it runs (the partial result included), the result once completed. */
  @Get(':backtestId')
  @SiteRole('viewer')
  @ApiZodResponse(Backtest)
  get(
    @Param('siteId') siteId: string,
    @Param('flowId', idParam('flow')) flowId: string,
    @Param('backtestId', idParam('backtest')) id: string,
  ): Promise<Wire<typeof Backtest>> {
    return this.backtests.get(siteId, flowId, id);
  }

  @Delete(':backtestId')
  @SiteRole('editor')
  @ApiZodResponse(Backtest)
  cancel(
    @Param('siteId') siteId: string,
    @Param('flowId', idParam('flow')) flowId: string,
    @Param('backtestId', idParam('backtest')) id: string,
  ): Promise<Wire<typeof Backtest>> {
    return this.backtests.cancel(siteId, flowId, id);
  }
}
