import '@xyflow/react/dist/style.css';
import '../flow-editor/editor.css';
import { useQuery } from '@tanstack/react-query';
import { ReactFlowProvider } from '@xyflow/react';
import { useCallback, useEffect, useState } from 'react';
import { useParams } from 'react-router-dom';
import { flowsApi } from '../api/flows';
import { ErrorBanner, Loading } from '../components/EmptyState';
import { FlowEditor } from '../flow-editor/FlowEditor';
import { useEditorStore } from '../flow-editor/editor-store';
import { useCurrentSite } from '../hooks/useCurrentSite';

/** Lazy-loaded route: React Flow, the form generator and the engine stay out of the first load. */
export default function FlowEditorPage() {
  const { siteId } = useCurrentSite();
  const { flowId = '' } = useParams();
  const query = useQuery({
    queryKey: ['flow', siteId, flowId],
    queryFn: () => flowsApi.get(siteId, flowId),
    staleTime: Infinity,
    refetchOnWindowFocus: false,
  });
  const [loadedAt, setLoadedAt] = useState(0);
  useEffect(() => {
    if (query.data && query.dataUpdatedAt !== loadedAt) {
      useEditorStore.getState().load(query.data);
      setLoadedAt(query.dataUpdatedAt);
    }
  }, [query.data, query.dataUpdatedAt, loadedAt]);
  const reload = useCallback(async () => {
    await query.refetch();
  }, [query]);

  if (query.isPending) return <Loading label="Opening the flow…" />;
  if (query.isError)
    return (
      <div className="page">
        <ErrorBanner error={query.error} onRetry={() => void query.refetch()} />
      </div>
    );
  if (loadedAt === 0) return <Loading label="Opening the flow…" />;
  return (
    <ReactFlowProvider>
      <FlowEditor reload={reload} />
    </ReactFlowProvider>
  );
}
