/**
 * What the flows feature shows of its flows' runs, answered by the features that own the runs and
 * their rollups. The runtime and analytics depend on flows, so flows asks them through these ports,
 * bound where the modules are put together (`FlowsModule.withActivity(...)`), and never imports them.
 */

/** Whether a flow still has runs that have not ended (the runtime's). */
export abstract class FlowLiveRuns {
  abstract hasLiveRuns(siteId: string, flowId: string): Promise<boolean>;
}

/** Per flow of the site, the visitors who entered and converted, over every version (analytics' rollups). */
export abstract class FlowRunTotals {
  abstract flowRunTotals(siteId: string): Promise<Map<string, { entered: number; converted: number }>>;
}
