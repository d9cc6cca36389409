import { Injectable } from '@nestjs/common';
import type { Wire } from '../common/api-contract';
import { notFound } from '../common/app-error';
import { FlowVersionRepository } from '../flows/flow-version.repository';
import { FlowRepository } from '../flows/flow.repository';
import { RunQueryRepository } from '../runtime/run-query.repository';
import type { FlowLift } from './lift.contracts';
import { lift, LIFT_TEST } from './lift-stats';

/**
 * Reads the groups of a flow's runs (the runtime's) and its versions' holdouts (the flows') and
 * computes the lift per published version.
 */
@Injectable()
export class LiftService {
  constructor(
    private readonly runs: RunQueryRepository,
    private readonly flows: FlowRepository,
    private readonly versions: FlowVersionRepository,
  ) {}

  async flowLift(siteId: string, flowId: string): Promise<Wire<typeof FlowLift>> {
    if (!(await this.flows.exists(siteId, flowId))) throw notFound('flow', 'FLOW_NOT_FOUND');
    const [groups, holdouts] = await Promise.all([
      this.runs.visitorsByVersion(siteId, flowId),
      this.versions.holdouts(siteId, flowId),
    ]);
    const versions = holdouts.map(({ version, percent }) => {
      const of = (heldOut: boolean) => {
        const g = groups.find((r) => r.version === version && r.held_out === heldOut);
        return { visitors: g?.visitors ?? 0, converted: g?.converted ?? 0 };
      };
      const { test: _test, ...l } = lift(of(false), of(true));
      return { version, holdoutPercent: percent, ...l };
    });
    return { test: LIFT_TEST, versions };
  }
}
