import { useState } from 'react';
import { FlowSettingsSchema, type FlowGraph, type FlowNode } from '@nudgeflow/flow-schema';
import type { BacktestResult } from '../api/backtests';
import type { FlowIssue, FlowVersion } from '../api/flows';
import { useCurrentSite } from '../hooks/useCurrentSite';
import { BacktestPanel } from './BacktestPanel';
import { ConfigForm } from './ConfigForm';
import { useEditorStore, type DraftDoc } from './editor-store';
import { LiftPanel } from './LiftPanel';
import { NodePanel } from './NodePanel';
import { SimulatorPanel } from './SimulatorPanel';
import { VersionsPanel } from './VersionsPanel';

export type PanelTab = 'step' | 'issues' | 'settings' | 'versions' | 'simulate' | 'backtest';

/** The backtest drawn on the canvas as a forecast, if any. */
export type ForecastOverlay = { id: string; counts: BacktestResult['nodes'] };

/** The panel beside the canvas: the selected step, the flow's issues, settings, versions and simulator. */
export function EditorSidePanel({
  tab,
  setTab,
  issues,
  checking,
  shownGraph,
  selectedNode,
  issuesOf,
  viewing,
  setViewing,
  readOnly,
  confirmDelete,
  removeSelection,
  focusNode,
  reload,
  forecast,
  onForecast,
}: {
  tab: PanelTab;
  setTab: (tab: PanelTab) => void;
  issues: FlowIssue[];
  /** True while the first validation has not run yet. */
  checking: boolean;
  shownGraph: FlowGraph;
  selectedNode: FlowNode | null;
  issuesOf: (nodeId: string) => string[];
  viewing: FlowVersion | null;
  setViewing: (version: FlowVersion | null) => void;
  readOnly: boolean;
  confirmDelete: (nodeIds: string[]) => boolean;
  removeSelection: (nodeIds: string[], edgeIds: string[]) => void;
  focusNode: (nodeId: string) => void;
  reload: () => Promise<void>;
  forecast: ForecastOverlay | null;
  onForecast: (overlay: ForecastOverlay | null) => void;
}) {
  const { siteId, canEdit } = useCurrentSite();
  const flowId = useEditorStore((state) => state.flowId) as string;
  const publishedVersion = useEditorStore((state) => state.publishedVersion);
  const [replayVisitorId, setReplayVisitorId] = useState<string | null>(null);
  const doc = useEditorStore((state) => state.history.present);
  const serverIssues = useEditorStore((state) => state.serverIssues);
  const edit = useEditorStore((state) => state.edit);
  const issueCount = issues.length;
  return (
    <aside className="panel" aria-label="Details">
      <div className="tabs panel__tabs" role="tablist" aria-label="Panels">
        {(
          [
            ['step', 'Step'],
            ['issues', `Issues${issueCount ? ` (${issueCount})` : ''}`],
            ['settings', 'Settings'],
            ['versions', 'Versions'],
            ['simulate', 'Simulate'],
            ['backtest', 'Backtest'],
          ] as const
        ).map(([id, label]) => (
          <button
            key={id}
            type="button"
            role="tab"
            aria-selected={tab === id}
            id={`panel-tab-${id}`}
            aria-controls={`panel-${id}`}
            onClick={() => setTab(id)}
          >
            {label}
          </button>
        ))}
      </div>
      <div className="panel__body" role="tabpanel" id={`panel-${tab}`} aria-labelledby={`panel-tab-${tab}`}>
        {tab === 'step' &&
          (selectedNode ? (
            <NodePanel
              key={`${selectedNode.id}:${viewing?.version ?? 'draft'}`}
              node={selectedNode}
              readOnly={readOnly}
              issues={issuesOf(selectedNode.id)}
              onDelete={() => {
                if (confirmDelete([selectedNode.id])) removeSelection([selectedNode.id], []);
              }}
            />
          ) : (
            <p className="panel__section muted">
              Select a step on the canvas to configure it. Shift-click or Ctrl/Cmd-click to select several.
            </p>
          ))}
        {tab === 'issues' && (
          <div className="panel__section stack">
            <p className="muted small">
              {serverIssues
                ? 'Checked by the server, including CTAs, endpoints and senders of this site.'
                : 'Checked in your browser as you edit. “Validate” also checks CTAs, endpoints and senders.'}
            </p>
            {checking && !serverIssues ? (
              <p className="muted small" role="status">
                Checking…
              </p>
            ) : issueCount === 0 ? (
              <div className="banner banner--success">No problems: this flow can be published.</div>
            ) : (
              <ul className="issue-list issue-list--clickable" aria-label="Problems">
                {issues.map((issue, index) => (
                  <li key={index}>
                    {issue.nodeId && shownGraph.nodes.some((node) => node.id === issue.nodeId) ? (
                      <button type="button" onClick={() => focusNode(issue.nodeId as string)}>
                        <strong>{issue.nodeId}</strong>: {issue.message}
                      </button>
                    ) : (
                      <span>{issue.message}</span>
                    )}
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
        {tab === 'settings' && (
          <div className="panel__section stack">
            <h2>Flow settings</h2>
            <ConfigForm
              key={viewing?.version ?? 'draft'}
              schema={FlowSettingsSchema}
              value={viewing?.settings ?? doc.settings}
              help={{
                reEntry: 'Whether a visitor can enter this flow again after a run.',
                maxConcurrentRunsPerVisitor: 'How many runs of this flow one visitor may have at once.',
                goal: 'Any run converts when this event happens, wherever it is.',
                exitConditions: 'A waiting run exits when any of these events happens.',
                quietHours: 'Outbound messages reached in these hours wait until they end.',
                holdoutPercent:
                  'Hold out this share of enrolments (0–50 %): enrolled and recorded, no action performed, to measure lift.',
              }}
              readOnly={readOnly}
              label="Flow settings"
              onChange={(settings) =>
                edit((current) => ({ ...current, settings: settings as DraftDoc['settings'] }), 'settings')
              }
            />
            <LiftPanel siteId={siteId} flowId={flowId} />
          </div>
        )}
        {tab === 'versions' && (
          <VersionsPanel
            viewing={viewing}
            onView={setViewing}
            draft={doc.graph}
            onRolledBack={async () => {
              setViewing(null);
              await reload();
            }}
            onFocusNode={focusNode}
          />
        )}
        {tab === 'simulate' && (
          <SimulatorPanel
            graph={shownGraph}
            settings={viewing?.settings ?? doc.settings}
            replayVisitorId={replayVisitorId}
          />
        )}
        {tab === 'backtest' && (
          <BacktestPanel
            siteId={siteId}
            flowId={flowId}
            graph={shownGraph}
            publishedVersion={publishedVersion}
            canEdit={canEdit}
            overlayId={forecast?.id ?? null}
            onOverlay={onForecast}
            onOpenSample={(visitorId) => {
              setReplayVisitorId(visitorId);
              setTab('simulate');
            }}
          />
        )}
      </div>
    </aside>
  );
}
