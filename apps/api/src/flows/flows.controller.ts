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
  list(@Param('siteId') siteId: string) {
    return this.flows.list(siteId);
  }

  @Post()
  @SiteRole('editor')
  @ApiZodBody(createFlowSchema)
  create(
    @Param('siteId') siteId: string,
    @Body(zodPipe(createFlowSchema)) body: CreateFlowInput,
    @CurrentPrincipal() p: Principal,
  ) {
    return this.flows.create(siteId, body, actor(p));
  }

  /** Body: a flow document as exported (`schemaVersion`, `name`, `settings`, `graph`). */
  @Post('import')
  @SiteRole('editor')
  import(@Param('siteId') siteId: string, @Body() body: unknown, @CurrentPrincipal() p: Principal) {
    return this.flows.importDocument(siteId, body, actor(p));
  }

  @Get(':flowId')
  @SiteRole('viewer')
  get(@Param('siteId') siteId: string, @Param('flowId', idParam('flow')) flowId: string) {
    return this.flows.get(siteId, flowId);
  }

  @Put(':flowId/draft')
  @SiteRole('editor')
  @ApiZodBody(saveDraftSchema)
  saveDraft(
    @Param('siteId') siteId: string,
    @Param('flowId', idParam('flow')) flowId: string,
    @Body(zodPipe(saveDraftSchema)) body: SaveDraftInput,
  ) {
    return this.flows.saveDraft(siteId, flowId, body);
  }

  @Post(':flowId/validate')
  @HttpCode(200)
  @SiteRole('viewer')
  validate(@Param('siteId') siteId: string, @Param('flowId', idParam('flow')) flowId: string) {
    return this.flows.validate(siteId, flowId);
  }

  @Post(':flowId/publish')
  @SiteRole('editor')
  @ApiZodBody(publishSchema)
  publish(
    @Param('siteId') siteId: string,
    @Param('flowId', idParam('flow')) flowId: string,
    @Body(zodPipe(publishSchema)) body: PublishInput,
    @CurrentPrincipal() p: Principal,
  ) {
    return this.flows.publish(siteId, flowId, body, actor(p));
  }

  @Post(':flowId/pause')
  @HttpCode(200)
  @SiteRole('editor')
  pause(@Param('siteId') siteId: string, @Param('flowId', idParam('flow')) flowId: string) {
    return this.flows.pause(siteId, flowId);
  }

  @Post(':flowId/resume')
  @HttpCode(200)
  @SiteRole('editor')
  resume(@Param('siteId') siteId: string, @Param('flowId', idParam('flow')) flowId: string) {
    return this.flows.resume(siteId, flowId);
  }

  @Post(':flowId/archive')
  @HttpCode(200)
  @SiteRole('editor')
  @ApiZodBody(archiveSchema)
  archive(
    @Param('siteId') siteId: string,
    @Param('flowId', idParam('flow')) flowId: string,
    @Body(zodPipe(archiveSchema)) body: ArchiveInput,
  ) {
    return this.flows.archive(siteId, flowId, body);
  }

  @Post(':flowId/duplicate')
  @SiteRole('editor')
  @ApiZodBody(duplicateSchema)
  duplicate(
    @Param('siteId') siteId: string,
    @Param('flowId', idParam('flow')) flowId: string,
    @Body(zodPipe(duplicateSchema)) body: DuplicateInput,
    @CurrentPrincipal() p: Principal,
  ) {
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
  versions(@Param('siteId') siteId: string, @Param('flowId', idParam('flow')) flowId: string) {
    return this.flows.listVersions(siteId, flowId);
  }

  @Get(':flowId/versions/:version')
  @SiteRole('viewer')
  version(
    @Param('siteId') siteId: string,
    @Param('flowId', idParam('flow')) flowId: string,
    @Param('version', versionParam) version: number,
  ) {
    return this.flows.getVersion(siteId, flowId, version);
  }

  /** Either side may be `draft`; usually `:a` is a version and `:b` the draft or a later version. */
  @Get(':flowId/versions/:a/diff/:b')
  @SiteRole('viewer')
  diff(
    @Param('siteId') siteId: string,
    @Param('flowId', idParam('flow')) flowId: string,
    @Param('a', graphSideParam) a: GraphSide,
    @Param('b', graphSideParam) b: GraphSide,
  ) {
    return this.flows.diff(siteId, flowId, a, b);
  }

  @Post(':flowId/versions/:version/rollback')
  @SiteRole('editor')
  @ApiZodBody(rollbackSchema)
  rollback(
    @Param('siteId') siteId: string,
    @Param('flowId', idParam('flow')) flowId: string,
    @Param('version', versionParam) version: number,
    @Body(zodPipe(rollbackSchema)) body: PublishInput,
    @CurrentPrincipal() p: Principal,
  ) {
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
  list() {
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
