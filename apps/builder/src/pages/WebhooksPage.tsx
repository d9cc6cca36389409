import { useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'react-router-dom';
import { webhooksApi, type MessageStatus } from '../api/webhooks';
import { ErrorBanner, Loading } from '../components/EmptyState';
import { useCurrentSite } from '../hooks/useCurrentSite';
import { TabbedPage } from '../components/TabbedPage';
import { DeliveryLog } from '../webhooks/DeliveryLog';
import { EndpointsTab } from '../webhooks/EndpointsTab';
import { InboundHooksTab } from '../webhooks/InboundHooksTab';

const TABS = [
  { id: 'endpoints', label: 'Endpoints' },
  { id: 'log', label: 'Delivery log' },
  { id: 'inbound', label: 'Inbound hooks' },
] as const;
type TabId = (typeof TABS)[number]['id'];

/**
 * Outbound webhook endpoints (subscriptions, secrets, enable/disable), their delivery log with resend
 * and recover, and inbound hooks. Disabled endpoints are listed first with the reason in a banner.
 */
export function WebhooksPage() {
  const { siteId, site, canEdit } = useCurrentSite();
  const [params, setParams] = useSearchParams();
  const tab: TabId = TABS.some((t) => t.id === params.get('tab'))
    ? (params.get('tab') as TabId)
    : 'endpoints';
  const endpoints = useQuery({
    queryKey: ['webhook-endpoints', siteId],
    queryFn: () => webhooksApi.list(siteId),
    enabled: !!siteId,
  });
  if (!site) return null;
  const showLog = (endpointId?: string, status?: MessageStatus) => {
    const next = new URLSearchParams({ tab: 'log' });
    if (endpointId) next.set('endpoint', endpointId);
    if (status) next.set('status', status);
    setParams(next, { replace: true });
  };
  return (
    <TabbedPage
      title="Webhooks"
      siteName={site.name}
      label="Webhook sections"
      tabs={TABS}
      current={tab}
      onSelect={(id) => setParams({ tab: id }, { replace: true })}
    >
      {endpoints.isLoading && tab !== 'inbound' && <Loading label="Loading endpoints…" />}
      {endpoints.error && tab !== 'inbound' && (
        <ErrorBanner error={endpoints.error} onRetry={() => void endpoints.refetch()} />
      )}
      {endpoints.data && tab === 'endpoints' && (
        <EndpointsTab siteId={siteId} endpoints={endpoints.data} canEdit={canEdit} onShowLog={showLog} />
      )}
      {endpoints.data && tab === 'log' && (
        <DeliveryLog
          siteId={siteId}
          endpoints={endpoints.data}
          canEdit={canEdit}
          endpointId={params.get('endpoint') ?? ''}
          status={(params.get('status') as MessageStatus | null) ?? ''}
          onFilter={(endpointId, status) => showLog(endpointId || undefined, status || undefined)}
        />
      )}
      {tab === 'inbound' && <InboundHooksTab siteId={siteId} canEdit={canEdit} />}
    </TabbedPage>
  );
}
