import { useQuery } from '@tanstack/react-query';
import { createContext, useContext, useMemo } from 'react';
import type { RefKind } from '@nudgeflow/flow-schema';
import { ctasApi } from '../api/ctas';
import { emailSendersApi } from '../api/email-senders';
import { webhooksApi } from '../api/webhooks';
import type { RefField, RefOption } from '../editor/ref-fields';

export interface RefPicker {
  kind: RefKind;
  options: RefOption[];
  loading: boolean;
  /** Where the site's resources of this kind are managed. */
  manage: { href: string; label: string };
}

/** Top-level config field name → its picker, for the node whose form is open. */
export const RefPickersContext = createContext<Record<string, RefPicker>>({});
export const useRefPicker = (field: string): RefPicker | undefined => useContext(RefPickersContext)[field];

/**
 * Pickers for the reference fields of a node, from the site's CTAs, webhook endpoints (also the
 * targets of notify nodes), email senders and inbound hooks.
 */
export function useRefPickers(siteId: string, fields: RefField[]): Record<string, RefPicker> {
  const kinds = new Set(fields.map((f) => f.kind));
  const ctas = useQuery({
    queryKey: ['ctas', siteId],
    queryFn: () => ctasApi.list(siteId),
    enabled: kinds.has('cta'),
    staleTime: 30_000,
  });
  const endpoints = useQuery({
    queryKey: ['webhook-endpoints', siteId],
    queryFn: () => webhooksApi.list(siteId),
    enabled: kinds.has('webhook_endpoint') || kinds.has('notify_endpoint'),
    staleTime: 30_000,
  });
  const senders = useQuery({
    queryKey: ['email-senders', siteId],
    queryFn: () => emailSendersApi.list(siteId),
    enabled: kinds.has('email_sender'),
    staleTime: 30_000,
  });
  const hooks = useQuery({
    queryKey: ['inbound-hooks', siteId],
    queryFn: () => webhooksApi.inboundHooks(siteId),
    enabled: kinds.has('inbound_hook'),
    staleTime: 30_000,
  });
  const fieldsKey = fields.map((f) => `${f.field}:${f.kind}`).join(',');
  return useMemo(() => {
    const out: Record<string, RefPicker> = {};
    for (const pair of fieldsKey ? fieldsKey.split(',') : []) {
      const [field = '', kind] = pair.split(':') as [string, RefKind];
      if (kind === 'cta' && !ctas.error)
        out[field] = {
          kind,
          loading: ctas.isLoading,
          options: (ctas.data ?? []).map((c) => ({
            value: c.id,
            label: `${c.name} (${c.status})`,
            disabled: c.status === 'archived',
          })),
          manage: { href: `/sites/${siteId}/ctas`, label: 'Manage CTAs' },
        };
      else if ((kind === 'webhook_endpoint' || kind === 'notify_endpoint') && !endpoints.error)
        out[field] = {
          kind,
          loading: endpoints.isLoading,
          options: (endpoints.data ?? []).map((e) => ({
            value: e.id,
            label: `${e.description || e.url}${e.enabled ? '' : ' (disabled)'}`,
          })),
          manage: { href: `/sites/${siteId}/webhooks`, label: 'Manage webhook endpoints' },
        };
      else if (kind === 'email_sender' && !senders.error)
        out[field] = {
          kind,
          loading: senders.isLoading,
          options: (senders.data ?? []).map((x) => ({
            value: x.id,
            label: `${x.name} (${x.fromName} <${x.fromAddress}>)`,
          })),
          manage: { href: `/sites/${siteId}/settings?tab=email`, label: 'Manage email senders' },
        };
      else if (kind === 'inbound_hook' && !hooks.error)
        out[field] = {
          kind,
          loading: hooks.isLoading,
          options: (hooks.data ?? []).map((h) => ({ value: h.id, label: h.name })),
          manage: { href: `/sites/${siteId}/webhooks?tab=inbound`, label: 'Manage inbound hooks' },
        };
    }
    return out;
  }, [
    siteId,
    fieldsKey,
    ctas.data,
    ctas.isLoading,
    ctas.error,
    endpoints.data,
    endpoints.isLoading,
    endpoints.error,
    senders.data,
    senders.isLoading,
    senders.error,
    hooks.data,
    hooks.isLoading,
    hooks.error,
  ]);
}
