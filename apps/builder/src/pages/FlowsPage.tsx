import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { errorMessage } from '../api/client';
import { flowsApi, type FlowSummary } from '../api/flows';
import { EmptyState, ErrorBanner, Loading } from '../components/EmptyState';
import { Modal } from '../components/Modal';
import { SetupChecklist } from '../components/SetupChecklist';
import { StatusBadge } from '../components/StatusBadge';
import { useCurrentSite } from '../hooks/useCurrentSite';
import { preloadEditor } from '../lazy-pages';
import { toast } from '../state/toast-store';

const number = new Intl.NumberFormat();

export function FlowsPage() {
  const { siteId, canEdit } = useCurrentSite();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [search, setSearch] = useState('');
  const [showArchived, setShowArchived] = useState(false);
  const [creating, setCreating] = useState(false);
  const importInput = useRef<HTMLInputElement>(null);
  const flowsKey = ['flows', siteId];
  const flows = useQuery({ queryKey: flowsKey, queryFn: () => flowsApi.list(siteId) });
  const refresh = () => queryClient.invalidateQueries({ queryKey: flowsKey });
  // The next step from this list is usually a flow: fetch the editor's code while the marketer looks.
  useEffect(() => {
    const idle = window.setTimeout(() => void preloadEditor().catch(() => undefined), 500);
    return () => window.clearTimeout(idle);
  }, []);

  const duplicate = useMutation({
    mutationFn: (flow: FlowSummary) => flowsApi.duplicate(siteId, flow.id),
    onSuccess: async (copy) => {
      toast(`Duplicated as “${copy.name}”`);
      await refresh();
    },
    onError: (error) => toast(errorMessage(error), 'error'),
  });
  const archive = useMutation({
    mutationFn: (flow: FlowSummary) => flowsApi.archive(siteId, flow.id),
    onSuccess: async () => {
      toast('Flow archived');
      await refresh();
    },
    onError: (error) => toast(errorMessage(error), 'error'),
  });
  const importFlow = useMutation({
    mutationFn: async (file: File) => flowsApi.importJson(siteId, JSON.parse(await file.text()) as unknown),
    onSuccess: async (flow) => {
      toast(`Imported “${flow.name}”`);
      await refresh();
      navigate(`/sites/${siteId}/flows/${flow.id}`);
    },
    onError: (error) =>
      toast(error instanceof SyntaxError ? 'That file is not valid JSON' : errorMessage(error), 'error'),
  });

  const visible = useMemo(() => {
    const term = search.trim().toLowerCase();
    return (flows.data ?? [])
      .filter((flow) => showArchived || flow.status !== 'archived')
      .filter((flow) => !term || flow.name.toLowerCase().includes(term))
      .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  }, [flows.data, search, showArchived]);

  return (
    <div className="page">
      <div className="page__header">
        <h1>Flows</h1>
        <span className="spacer" />
        <label className="field" style={{ width: 240 }}>
          <span className="visually-hidden">Search flows</span>
          <input
            className="input"
            type="search"
            placeholder="Search flows"
            value={search}
            onChange={(event) => setSearch(event.target.value)}
          />
        </label>
        <label className="checkbox small">
          <input
            type="checkbox"
            checked={showArchived}
            onChange={(event) => setShowArchived(event.target.checked)}
          />
          Show archived
        </label>
        {canEdit && (
          <>
            <button type="button" className="btn" onClick={() => importInput.current?.click()}>
              Import JSON
            </button>
            <input
              ref={importInput}
              type="file"
              accept="application/json,.json"
              hidden
              aria-label="Flow JSON file to import"
              onChange={(event) => {
                const file = event.target.files?.[0];
                if (file) importFlow.mutate(file);
                event.target.value = '';
              }}
            />
            <button type="button" className="btn btn--primary" onClick={() => setCreating(true)}>
              New flow
            </button>
          </>
        )}
      </div>

      {flows.isSuccess && (
        <SetupChecklist
          siteId={siteId}
          flows={flows.data}
          canEdit={canEdit}
          onCreateFlow={() => setCreating(true)}
        />
      )}
      {flows.isPending && <Loading label="Loading flows…" />}
      {flows.isError && <ErrorBanner error={flows.error} onRetry={() => void flows.refetch()} />}
      {flows.isSuccess && flows.data.length === 0 && (
        <EmptyState
          title="No flows yet"
          action={
            canEdit ? (
              <button type="button" className="btn btn--primary" onClick={() => setCreating(true)}>
                Create your first flow
              </button>
            ) : undefined
          }
        >
          {canEdit
            ? 'A flow decides what each visitor sees and what happens next: start from a template such as abandoned cart, or from a blank canvas.'
            : 'Editors of this site have not created any flows yet.'}
        </EmptyState>
      )}
      {flows.isSuccess && flows.data.length > 0 && visible.length === 0 && (
        <EmptyState title="No matching flows">Nothing matches “{search}”. Try another name.</EmptyState>
      )}
      {visible.length > 0 && (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Version</th>
                <th scope="col" style={{ textAlign: 'right' }}>
                  Entered
                </th>
                <th scope="col" style={{ textAlign: 'right' }}>
                  Converted
                </th>
                <th scope="col">Updated</th>
                {canEdit && (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {visible.map((flow) => (
                <tr key={flow.id}>
                  <td>
                    <Link to={`/sites/${siteId}/flows/${flow.id}`} style={{ fontWeight: 600 }}>
                      {flow.name}
                    </Link>
                  </td>
                  <td>
                    <StatusBadge status={flow.status} />
                  </td>
                  <td>
                    {flow.publishedVersion ? `v${flow.publishedVersion}` : <span className="muted">—</span>}
                  </td>
                  <td style={{ textAlign: 'right' }}>
                    {flow.counts ? number.format(flow.counts.entered) : '—'}
                  </td>
                  <td style={{ textAlign: 'right' }}>
                    {flow.counts ? (
                      <>
                        {number.format(flow.counts.converted)}
                        {flow.counts.entered > 0 && (
                          <span className="muted small">
                            {' '}
                            ({Math.round((flow.counts.converted / flow.counts.entered) * 1000) / 10}%)
                          </span>
                        )}
                      </>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td className="muted">{new Date(flow.updatedAt).toLocaleString()}</td>
                  {canEdit && (
                    <td>
                      <div className="row" style={{ justifyContent: 'flex-end', flexWrap: 'nowrap' }}>
                        <button
                          type="button"
                          className="btn btn--small"
                          aria-label={`Duplicate ${flow.name}`}
                          disabled={duplicate.isPending}
                          onClick={() => duplicate.mutate(flow)}
                        >
                          Duplicate
                        </button>
                        {flow.status !== 'archived' && (
                          <button
                            type="button"
                            className="btn btn--small btn--danger"
                            aria-label={`Archive ${flow.name}`}
                            onClick={() => {
                              if (
                                window.confirm(
                                  `Archive “${flow.name}”? It stops enrolling visitors; runs in progress finish.`,
                                )
                              )
                                archive.mutate(flow);
                            }}
                          >
                            Archive
                          </button>
                        )}
                      </div>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <NewFlowDialog
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={async (flow) => {
          setCreating(false);
          await refresh();
          navigate(`/sites/${siteId}/flows/${flow.id}`);
        }}
      />
    </div>
  );
}

function NewFlowDialog({
  open,
  onClose,
  onCreated,
}: {
  open: boolean;
  onClose: () => void;
  onCreated: (flow: FlowSummary) => Promise<void>;
}) {
  const { siteId } = useCurrentSite();
  const [name, setName] = useState('');
  const [templateId, setTemplateId] = useState('');
  const templates = useQuery({ queryKey: ['flow-templates'], queryFn: flowsApi.templates, enabled: open });
  const create = useMutation({
    mutationFn: () => flowsApi.create(siteId, { name: name.trim(), templateId: templateId || undefined }),
    onSuccess: onCreated,
  });
  const chosen = templates.data?.find((template) => template.id === templateId);

  return (
    <Modal open={open} title="New flow" onClose={onClose} wide>
      <form
        className="stack"
        onSubmit={(event) => {
          event.preventDefault();
          if (name.trim() || chosen) create.mutate();
        }}
      >
        <fieldset style={{ border: 0, padding: 0, margin: 0 }}>
          <legend className="field__label" style={{ marginBottom: 6 }}>
            Start from
          </legend>
          <div className="template-grid">
            <label className={`template-card${templateId === '' ? ' template-card--selected' : ''}`}>
              <input
                type="radio"
                name="template"
                value=""
                checked={templateId === ''}
                onChange={() => setTemplateId('')}
              />
              <strong>Blank flow</strong>
              <span className="muted small">An empty canvas: add a trigger from the palette.</span>
            </label>
            {templates.data?.map((template) => (
              <label
                key={template.id}
                className={`template-card${templateId === template.id ? ' template-card--selected' : ''}`}
              >
                <input
                  type="radio"
                  name="template"
                  value={template.id}
                  checked={templateId === template.id}
                  onChange={() => {
                    setTemplateId(template.id);
                    if (!name.trim()) setName(template.name);
                  }}
                />
                <strong>{template.name}</strong>
                <span className="muted small">{template.description}</span>
              </label>
            ))}
          </div>
          {templates.isPending && <Loading label="Loading templates…" />}
          {templates.isError && (
            <p className="field__error">Templates could not be loaded ({errorMessage(templates.error)}).</p>
          )}
        </fieldset>
        <label className="field">
          <span>Flow name</span>
          <input
            className="input"
            value={name}
            onChange={(event) => setName(event.target.value)}
            placeholder="e.g. Abandoned cart reminder"
            maxLength={200}
          />
        </label>
        {create.isError && <ErrorBanner error={create.error} />}
        <div className="modal__actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn--primary" disabled={create.isPending || !name.trim()}>
            {create.isPending ? 'Creating…' : 'Create flow'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
