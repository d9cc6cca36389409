import { diffGraphs, type FlowGraph, type GraphDiff } from '@nudgeflow/flow-schema';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage } from '../api/client';
import { flowsApi, type FlowVersion } from '../api/flows';
import { ErrorBanner, Loading } from '../components/EmptyState';
import { useCurrentSite } from '../hooks/useCurrentSite';
import { toast } from '../state/toast-store';
import { useEditorStore } from './editor-store';

interface Props {
  viewing: FlowVersion | null;
  onView: (version: FlowVersion | null) => void;
  draft: FlowGraph;
  onRolledBack: () => Promise<void>;
  onFocusNode: (nodeId: string) => void;
}

export function VersionsPanel({ viewing, onView, draft, onRolledBack, onFocusNode }: Props) {
  const { siteId, canEdit } = useCurrentSite();
  const flowId = useEditorStore((state) => state.flowId) as string;
  const versions = useQuery({
    queryKey: ['flow-versions', siteId, flowId],
    queryFn: () => flowsApi.versions(siteId, flowId),
  });
  const [diff, setDiff] = useState<{ version: number; diff: GraphDiff } | null>(null);
  const [busy, setBusy] = useState<number | null>(null);

  const load = async (version: number) => {
    setBusy(version);
    try {
      return await flowsApi.version(siteId, flowId, version);
    } catch (error) {
      toast(errorMessage(error), 'error');
      return null;
    } finally {
      setBusy(null);
    }
  };

  if (versions.isPending) return <Loading label="Loading versions…" />;
  if (versions.isError)
    return (
      <div className="panel__section">
        <ErrorBanner error={versions.error} onRetry={() => void versions.refetch()} />
      </div>
    );
  if (versions.data.length === 0)
    return <p className="panel__section muted">Nothing published yet. Publish to create version 1.</p>;

  return (
    <div className="panel__section stack">
      <ul className="version-list">
        {[...versions.data]
          .sort((a, b) => b.version - a.version)
          .map((version) => (
            <li
              key={version.version}
              className={viewing?.version === version.version ? 'is-current' : undefined}
            >
              <div className="row">
                <strong>Version {version.version}</strong>
                <span className="muted small">{new Date(version.publishedAt).toLocaleString()}</span>
              </div>
              {version.note && <div className="small">“{version.note}”</div>}
              <div className="row">
                <button
                  type="button"
                  className="btn btn--small"
                  disabled={busy === version.version}
                  onClick={async () => {
                    const loaded = await load(version.version);
                    if (loaded) onView(loaded);
                  }}
                >
                  View
                </button>
                <button
                  type="button"
                  className="btn btn--small"
                  disabled={busy === version.version}
                  onClick={async () => {
                    const loaded = await load(version.version);
                    if (loaded) setDiff({ version: version.version, diff: diffGraphs(loaded.graph, draft) });
                  }}
                >
                  Diff with draft
                </button>
                {canEdit && (
                  <button
                    type="button"
                    className="btn btn--small"
                    onClick={async () => {
                      if (!window.confirm(`Publish version ${version.version} again as the live version?`))
                        return;
                      try {
                        const result = await flowsApi.rollback(siteId, flowId, version.version);
                        toast(
                          `Rolled back: version ${version.version} is live again as version ${result.version}`,
                        );
                        await versions.refetch();
                        await onRolledBack();
                      } catch (error) {
                        toast(errorMessage(error), 'error');
                      }
                    }}
                  >
                    Roll back
                  </button>
                )}
              </div>
            </li>
          ))}
      </ul>
      {diff && <DiffSummary version={diff.version} diff={diff.diff} onFocusNode={onFocusNode} />}
    </div>
  );
}

function DiffSummary({
  version,
  diff,
  onFocusNode,
}: {
  version: number;
  diff: GraphDiff;
  onFocusNode: (nodeId: string) => void;
}) {
  if (diff.identical)
    return <div className="banner banner--info">The draft is the same as version {version}.</div>;
  const rows: { kind: 'added' | 'removed' | 'changed'; text: string; nodeId?: string }[] = [
    ...diff.nodes.added.map((node) => ({
      kind: 'added' as const,
      text: `Step ${node.id} (${node.type})`,
      nodeId: node.id,
    })),
    ...diff.nodes.removed.map((node) => ({
      kind: 'removed' as const,
      text: `Step ${node.id} (${node.type})`,
    })),
    ...diff.nodes.changed.map((change) => ({
      kind: 'changed' as const,
      text: `Step ${change.id}: ${change.fields.join(', ')}`,
      nodeId: change.id,
    })),
    ...diff.edges.added.map((edge) => ({
      kind: 'added' as const,
      text: `Connection ${edge.source} → ${edge.target} (${edge.sourceHandle})`,
    })),
    ...diff.edges.removed.map((edge) => ({
      kind: 'removed' as const,
      text: `Connection ${edge.source} → ${edge.target} (${edge.sourceHandle})`,
    })),
    ...diff.edges.changed.map((change) => ({ kind: 'changed' as const, text: `Connection ${change.id}` })),
  ];
  return (
    <section aria-label={`Changes since version ${version}`}>
      <h3>
        Draft vs version {version}
        {diff.layoutOnly && <span className="muted small"> (layout only)</span>}
      </h3>
      <ul className="diff-list">
        {rows.map((row, index) => (
          <li key={index} className={`diff-list__${row.kind}`}>
            <span className="diff-list__mark">
              {row.kind === 'added' ? '+' : row.kind === 'removed' ? '−' : '~'}
            </span>
            {row.nodeId ? (
              <button type="button" className="linklike" onClick={() => onFocusNode(row.nodeId as string)}>
                {row.text}
              </button>
            ) : (
              row.text
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
