import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Queryable, queryRows } from '../database/sql';
import type { SystemEventType } from './webhook-events';

export interface EndpointRow {
  site_id: string;
  id: string;
  url: string;
  description: string;
  enabled: boolean;
  disabled_reason: string | null;
  secret_enc: string;
  previous_secret_enc: string | null;
  previous_secret_expires_at: Date | null;
  /** Only values `SYSTEM_EVENT_TYPES` allows: writes go through the endpoint schemas' enum. */
  event_types: SystemEventType[];
  headers: Record<string, string>;
  secret_headers_enc: string | null;
  secret_header_names: string[];
  failing_since: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface NoticeRow {
  id: string;
  endpoint_id: string;
  kind: string;
  message: string;
  created_at: Date;
}

export interface NewEndpoint {
  url: string;
  description: string;
  enabled: boolean;
  secretEnc: string;
  eventTypes: string[];
  headers: Record<string, string>;
  secretHeadersEnc: string | null;
  secretHeaderNames: string[];
}

/** A site's webhook endpoints (settings, health, disabling) and the notices they leave for the builder. */
@Injectable()
export class WebhookEndpointRepository {
  constructor(private readonly db: DataSource) {}

  async insertEndpoint(siteId: string, e: NewEndpoint): Promise<EndpointRow> {
    const [row] = await queryRows<EndpointRow>(
      this.db,
      `INSERT INTO webhook_endpoints
         (site_id, url, description, enabled, secret_enc, event_types, headers, secret_headers_enc, secret_header_names)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
      [
        siteId,
        e.url,
        e.description,
        e.enabled,
        e.secretEnc,
        e.eventTypes,
        JSON.stringify(e.headers),
        e.secretHeadersEnc,
        e.secretHeaderNames,
      ],
    );
    return row;
  }

  async getEndpoint(siteId: string, id: string, db: Queryable = this.db): Promise<EndpointRow | undefined> {
    const rows = await queryRows<EndpointRow>(
      db,
      `SELECT * FROM webhook_endpoints WHERE site_id = $1 AND id = $2`,
      [siteId, id],
    );
    return rows[0];
  }

  async listEndpoints(siteId: string): Promise<EndpointRow[]> {
    return queryRows(this.db, `SELECT * FROM webhook_endpoints WHERE site_id = $1 ORDER BY created_at`, [
      siteId,
    ]);
  }

  async subscribedEndpoints(
    siteId: string,
    eventType: string,
    db: Queryable = this.db,
  ): Promise<EndpointRow[]> {
    return queryRows(
      db,
      `SELECT * FROM webhook_endpoints WHERE site_id = $1 AND enabled AND $2 = ANY (event_types) ORDER BY created_at`,
      [siteId, eventType],
    );
  }

  /** The system event types any enabled endpoint of the site subscribes to (for the producers' cache). */
  async subscribedTypes(siteId: string): Promise<string[]> {
    const rows = await queryRows<{ t: string }>(
      this.db,
      `SELECT DISTINCT unnest(event_types) AS t FROM webhook_endpoints WHERE site_id = $1 AND enabled`,
      [siteId],
    );
    return rows.map((r) => r.t);
  }

  async updateEndpoint(
    siteId: string,
    id: string,
    patch: Partial<{
      url: string;
      description: string;
      enabled: boolean;
      eventTypes: string[];
      headers: Record<string, string>;
      secretHeadersEnc: string | null;
      secretHeaderNames: string[];
    }>,
  ): Promise<EndpointRow | undefined> {
    const rows = await queryRows<EndpointRow>(
      this.db,
      `UPDATE webhook_endpoints e SET
          url = COALESCE($3, e.url),
          description = COALESCE($4, e.description),
          enabled = COALESCE($5, e.enabled),
          disabled_reason = CASE WHEN $5::boolean IS TRUE THEN NULL WHEN $5::boolean IS FALSE THEN 'manual' ELSE e.disabled_reason END,
          failing_since = CASE WHEN $5::boolean IS TRUE THEN NULL ELSE e.failing_since END,
          event_types = COALESCE($6, e.event_types),
          headers = COALESCE($7::jsonb, e.headers),
          secret_headers_enc = CASE WHEN $8::boolean THEN $9 ELSE e.secret_headers_enc END,
          secret_header_names = COALESCE($10, e.secret_header_names),
          updated_at = now()
        WHERE e.site_id = $1 AND e.id = $2 RETURNING *`,
      [
        siteId,
        id,
        patch.url ?? null,
        patch.description ?? null,
        patch.enabled ?? null,
        patch.eventTypes ?? null,
        patch.headers ? JSON.stringify(patch.headers) : null,
        patch.secretHeadersEnc !== undefined,
        patch.secretHeadersEnc ?? null,
        patch.secretHeaderNames ?? null,
      ],
    );
    return rows[0];
  }

  async rotateSecret(
    siteId: string,
    id: string,
    newSecretEnc: string,
    overlapSeconds: number,
  ): Promise<EndpointRow | undefined> {
    const rows = await queryRows<EndpointRow>(
      this.db,
      `UPDATE webhook_endpoints SET previous_secret_enc = secret_enc, secret_enc = $3,
              previous_secret_expires_at = now() + make_interval(secs => $4), updated_at = now()
        WHERE site_id = $1 AND id = $2 RETURNING *`,
      [siteId, id, newSecretEnc, overlapSeconds],
    );
    return rows[0];
  }

  async deleteEndpoint(siteId: string, id: string): Promise<boolean> {
    const rows = await queryRows(
      this.db,
      `DELETE FROM webhook_endpoints WHERE site_id = $1 AND id = $2 RETURNING id`,
      [siteId, id],
    );
    return rows.length > 0;
  }

  /** Clears the failure clock; writes only when it was set, so healthy endpoints see no row update. */
  async markHealthy(siteId: string, endpointId: string): Promise<void> {
    await queryRows(
      this.db,
      `UPDATE webhook_endpoints SET failing_since = NULL WHERE site_id = $1 AND id = $2 AND failing_since IS NOT NULL`,
      [siteId, endpointId],
    );
  }

  /** Starts the failure clock if not running; returns when the endpoint started failing. */
  async markFailing(siteId: string, endpointId: string): Promise<Date> {
    await queryRows(
      this.db,
      `UPDATE webhook_endpoints SET failing_since = now() WHERE site_id = $1 AND id = $2 AND failing_since IS NULL`,
      [siteId, endpointId],
    );
    const [row] = await queryRows<{ failing_since: Date }>(
      this.db,
      `SELECT failing_since FROM webhook_endpoints WHERE site_id = $1 AND id = $2`,
      [siteId, endpointId],
    );
    return row?.failing_since ?? new Date();
  }

  /** Disables an enabled endpoint and leaves a notice for the builder (its id); undefined if already off. */
  async disableEndpoint(
    siteId: string,
    endpointId: string,
    reason: string,
    notice: string,
    db: Queryable = this.db,
  ): Promise<string | undefined> {
    const rows = await queryRows<{ id: string }>(
      db,
      `WITH off AS (
         UPDATE webhook_endpoints SET enabled = false, disabled_reason = $3, updated_at = now()
          WHERE site_id = $1 AND id = $2 AND enabled RETURNING site_id, id)
       INSERT INTO webhook_notices (site_id, endpoint_id, kind, message)
       SELECT site_id, id, 'endpoint.disabled', $4 FROM off RETURNING id`,
      [siteId, endpointId, reason, notice],
    );
    return rows[0]?.id;
  }

  async listNotices(siteId: string): Promise<NoticeRow[]> {
    return queryRows(
      this.db,
      `SELECT id, endpoint_id, kind, message, created_at FROM webhook_notices WHERE site_id = $1 ORDER BY created_at DESC LIMIT 100`,
      [siteId],
    );
  }
}
