/** An event of a visitor's timeline (ingest owns the events: `IngestedEventsRepository`). */
export interface TimelineRow {
  id: string;
  ts: Date;
  received_at: Date;
  message_id: string;
  type: string;
  name: string;
  visitor_id: string;
  anonymous_id: string | null;
  user_id: string | null;
  properties: Record<string, unknown>;
  traits: Record<string, unknown>;
  context: Record<string, unknown> | null;
  is_bot: boolean;
}

/**
 * Where the visitors feature reads a visitor's events: ingest owns them and provides this
 * (`IngestedEventsRepository`), bound where the modules are put together (`VisitorsModule.forApi`).
 */
export abstract class VisitorEventSource {
  abstract timeline(
    siteId: string,
    visitorIds: string[],
    opts: { limit: number; before?: { ts: string; id: string } },
  ): Promise<TimelineRow[]>;
}
