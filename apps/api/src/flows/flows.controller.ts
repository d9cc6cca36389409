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
  Res,
} from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { FLOW_TEMPLATES } from '@nudgeflow/flow-schema';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, Principal, Public, SiteRole } from '../auth/principal';
import { notFound } from '../common/app-error';
import { ApiZodBody, idParam, zodPipe } from '../common/zod-pipe';
import {
  archiveSchema,
  ArchiveInput,
  CreateFlowInput,
  createFlowSchema,
  duplicateSchema,
  DuplicateInput,
  publishSchema,
  PublishInput,
  rollbackSchema,
  saveDraftSchema,
  SaveDraftInput,
} from './flow.schemas';
import { FlowsService, GraphSide } from './flows.service';
import { ApiZodResponse, Wire } from '../common/api-contract';
import {
  DraftSaved,
  FlowDetail,
  FlowPublished,
  FlowRolledBack,
  FlowSummary,
  FlowTemplateSummary,
  FlowValidation,
  FlowVersion,
  FlowVersionSummary,
  GraphDiff,
} from './flow.contracts';

const MAX_VERSION = 2_147_483_647;

function parseVersion(value: string): number {
  const n = /^[1-9][0-9]{0,9}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n > MAX_VERSION) throw notFound('flow version', 'VERSION_NOT_FOUND');
  return n;
}

/** `:version` in paths: a positive integer (or `draft` for diffs); anything else is simply not found. */
const versionParam: PipeTransform<string, number> = { transform: parseVersion };
const graphSideParam: PipeTransform<string, GraphSide> = {
  transform: (value: string) => (value === 'draft' ? 'draft' : parseVersion(value)),
};

const optionalVersionQuery: PipeTransform<string | undefined, number | undefined> = {
  transform: (value) => (value === undefined ? undefined : parseVersion(value)),
};

/** Marketers (and secret site keys, for flows as code in CI) act on the user's behalf, keys as nobody. */
const actor = (p: Principal): string | null => (p.type === 'user' ? p.userId : null);

@ApiTags('flows')
@ApiBearerAuth()
@Controller('api/sites/:siteId/flows')
export class FlowsController {
  constructor(private readonly flows: FlowsService) {}

  @Get()
  @SiteRole('viewer')
  @ApiZodResponse([FlowSummary])
  list(@Param('siteId') siteId: string): Promise<Wire<typeof FlowSummary>[]> {
    return this.flows.list(siteId);
  }

  @Post()
  @SiteRole('editor')
  @ApiZodBody(createFlowSchema)
  @ApiZodResponse(FlowDetail, 201)
  create(
    @Param('siteId') siteId: string,
    @Body(zodPipe(createFlowSchema)) body: CreateFlowInput,
    @CurrentPrincipal() p: Principal,
  ): Promise<Wire<typeof FlowDetail>> {
    return this.flows.create(siteId, body, actor(p));
  }

  /** Body: a flow document as exported (`schemaVersion`, `name`, `settings`, `graph`). */
  @Post('import')
  @SiteRole('editor')
  @ApiZodResponse(FlowDetail, 201)
  import(
    @Param('siteId') siteId: string,
    @Body() body: unknown,
    @CurrentPrincipal() p: Principal,
  ): Promise<Wire<typeof FlowDetail>> {
    return this.flows.importDocument(siteId, body, actor(p));
  }

  @Get(':flowId')
  @SiteRole('viewer')
  @ApiZodResponse(FlowDetail)
  get(
    @Param('siteId') siteId: string,
    @Param('flowId', idParam('flow')) flowId: string,
  ): Promise<Wire<typeof FlowDetail>> {
    return this.flows.get(siteId, flowId);
  }

  @Put(':flowId/draft')
  @SiteRole('editor')
  @ApiZodBody(saveDraftSchema)
  @ApiZodResponse(DraftSaved)
  saveDraft(
    @Param('siteId') siteId: string,
    @Param('flowId', idParam('flow')) flowId: string,
    @Body(zodPipe(saveDraftSchema)) body: SaveDraftInput,
  ): Promise<Wire<typeof DraftSaved>> {
    return this.flows.saveDraft(siteId, flowId, body);
  }

  @Post(':flowId/validate')
  @HttpCode(200)
  @SiteRole('viewer')
  @ApiZodResponse(FlowValidation)
  validate(
    @Param('siteId') siteId: string,
    @Param('flowId', idParam('flow')) flowId: string,
  ): Promise<Wire<typeof FlowValidation>> {
    return this.flows.validate(siteId, flowId);
  }

  @Post(':flowId/publish')
  @SiteRole('editor')
  @ApiZodBody(publishSchema)
  @ApiZodResponse(FlowPublished, 201)
  publish(
    @Param('siteId') siteId: string,
    @Param('flowId', idParam('flow')) flowId: string,
    @Body(zodPipe(publishSchema)) body: PublishInput,
    @CurrentPrincipal() p: Principal,
  ): Promise<Wire<typeof FlowPublished>> {
    return this.flows.publish(siteId, flowId, body, actor(p));
  }

  @Post(':flowId/pause')
  @HttpCode(200)
  @SiteRole('editor')
  @ApiZodResponse(FlowSummary)
  pause(
    @Param('siteId') siteId: string,
    @Param('flowId', idParam('flow')) flowId: string,
  ): Promise<Wire<typeof FlowSummary>> {
    return this.flows.pause(siteId, flowId);
  }

  @Post(':flowId/resume')
  @HttpCode(200)
  @SiteRole('editor')
  @ApiZodResponse(FlowSummary)
  resume(
    @Param('siteId') siteId: string,
    @Param('flowId', idParam('flow')) flowId: string,
  ): Promise<Wire<typeof FlowSummary>> {
    return this.flows.resume(siteId, flowId);
  }

  @Post(':flowId/archive')
  @HttpCode(200)
  @SiteRole('editor')
  @ApiZodBody(archiveSchema)
  @ApiZodResponse(FlowSummary)
  archive(
    @Param('siteId') siteId: string,
    @Param('flowId', idParam('flow')) flowId: string,
    @Body(zodPipe(archiveSchema)) body: ArchiveInput,
  ): Promise<Wire<typeof FlowSummary>> {
    return this.flows.archive(siteId, flowId, body);
  }

  @Post(':flowId/duplicate')
  @SiteRole('editor')
  @ApiZodBody(duplicateSchema)
  @ApiZodResponse(FlowDetail, 201)
  duplicate(
    @Param('siteId') siteId: string,
    @Param('flowId', idParam('flow')) flowId: string,
    @Body(zodPipe(duplicateSchema)) body: DuplicateInput,
    @CurrentPrincipal() p: Principal,
  ): Promise<Wire<typeof FlowDetail>> {
    return this.flows.duplicate(siteId, flowId, body, actor(p));
  }

  @Delete(':flowId')
  @HttpCode(204)
  @SiteRole('editor')
  async remove(@Param('siteId') siteId: string, @Param('flowId', idParam('flow')) flowId: string) {
    await this.flows.remove(siteId, flowId);
  }

  @Get(':flowId/versions')
  @SiteRole('viewer')
  @ApiZodResponse([FlowVersionSummary])
  versions(
    @Param('siteId') siteId: string,
    @Param('flowId', idParam('flow')) flowId: string,
  ): Promise<Wire<typeof FlowVersionSummary>[]> {
    return this.flows.listVersions(siteId, flowId);
  }

  @Get(':flowId/versions/:version')
  @SiteRole('viewer')
  @ApiZodResponse(FlowVersion)
  version(
    @Param('siteId') siteId: string,
    @Param('flowId', idParam('flow')) flowId: string,
    @Param('version', versionParam) version: number,
  ): Promise<Wire<typeof FlowVersion>> {
    return this.flows.getVersion(siteId, flowId, version);
  }

  /** Either side may be `draft`; usually `:a` is a version and `:b` the draft or a later version. */
  @Get(':flowId/versions/:a/diff/:b')
  @SiteRole('viewer')
  @ApiZodResponse(GraphDiff)
  diff(
    @Param('siteId') siteId: string,
    @Param('flowId', idParam('flow')) flowId: string,
    @Param('a', graphSideParam) a: GraphSide,
    @Param('b', graphSideParam) b: GraphSide,
  ): Promise<Wire<typeof GraphDiff>> {
    return this.flows.diff(siteId, flowId, a, b);
  }

  @Post(':flowId/versions/:version/rollback')
  @SiteRole('editor')
  @ApiZodBody(rollbackSchema)
  @ApiZodResponse(FlowRolledBack, 201)
  rollback(
    @Param('siteId') siteId: string,
    @Param('flowId', idParam('flow')) flowId: string,
    @Param('version', versionParam) version: number,
    @Body(zodPipe(rollbackSchema)) body: PublishInput,
    @CurrentPrincipal() p: Principal,
  ): Promise<Wire<typeof FlowRolledBack>> {
    return this.flows.rollback(siteId, flowId, version, body, actor(p));
  }

  /** The draft, or `?version=N`, as a flows-as-code document (stable key order). */
  @Get(':flowId/export')
  @SiteRole('viewer')
  async export(
    @Param('siteId') siteId: string,
    @Param('flowId', idParam('flow')) flowId: string,
    @Query('version', optionalVersionQuery) version: number | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const document = await this.flows.exportDocument(siteId, flowId, version);
    void reply.header('content-type', 'application/json; charset=utf-8');
    return document;
  }
}

@ApiTags('flows')
@Controller('api/flow-templates')
export class FlowTemplatesController {
  /** Public: the same starting points for every site, with their graphs for previews. */
  @Get()
  @Public()
  @ApiZodResponse([FlowTemplateSummary])
  list(): Wire<typeof FlowTemplateSummary>[] {
    return FLOW_TEMPLATES.map((t) => ({
      id: t.id,
      name: t.name,
      description: t.description,
      settings: t.settings,
      graph: t.graph,
      placeholderRefs: t.placeholderRefs,
    }));
  }
}
