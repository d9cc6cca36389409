import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, errorMessage } from '../api/client';
import { ctasApi, type CtaDetail } from '../api/ctas';
import { EmptyState, ErrorBanner, Loading } from '../components/EmptyState';
import { Modal } from '../components/Modal';
import { StatusBadge } from '../components/StatusBadge';
import { CtaEditor, type CtaDraft } from '../ctas/CtaEditor';
import { CtaTemplateGallery } from '../ctas/CtaTemplateGallery';
import { GALLERY_KINDS, galleryKindOf, type CtaTemplate } from '../ctas/cta-templates';
import { apiProblem, type CtaProblems } from '../ctas/cta-validation';
import { useCurrentSite } from '../hooks/useCurrentSite';
import { toast } from '../state/toast-store';

const kindLabel = (cta: CtaDetail) =>
  GALLERY_KINDS.find((k) => k.kind === galleryKindOf(cta.config))?.label ?? '';

/** CTAs of a site: a list, a template gallery to start a new one, and the editor. */
export function CtasPage() {
  const { siteId, site, canEdit } = useCurrentSite();
  const queryClient = useQueryClient();
  const list = useQuery({
    queryKey: ['ctas', siteId],
    queryFn: () => ctasApi.list(siteId),
    enabled: !!siteId,
  });
  const [selected, setSelected] = useState<string | null>(null);
  const [gallery, setGallery] = useState(false);
  const create = useMutation({
    mutationFn: (template: CtaTemplate) =>
      ctasApi.create(siteId, { name: template.name, config: structuredClone(template.config) }),
    onSuccess: (cta) => {
      void queryClient.invalidateQueries({ queryKey: ['ctas', siteId] });
      setSelected(cta.id);
      setGallery(false);
      toast(`Created “${cta.name}” from the template`);
    },
    onError: (error) => toast(errorMessage(error), 'error'),
  });
  if (!site) return null;
  const current = list.data?.find((c) => c.id === selected) ?? list.data?.[0];
  return (
    <div className="page page--wide">
      <div className="page__header">
        <h1>CTAs</h1>
        <span className="muted">{site.name}</span>
        <span className="spacer" />
        {canEdit && (
          <button type="button" className="btn btn--primary" onClick={() => setGallery(true)}>
            New CTA
          </button>
        )}
      </div>
      {list.isLoading && <Loading label="Loading CTAs…" />}
      {list.error && <ErrorBanner error={list.error} onRetry={() => void list.refetch()} />}
      {list.data && list.data.length === 0 && (
        <EmptyState
          title="No CTAs yet"
          action={
            canEdit ? (
              <button type="button" className="btn btn--primary" onClick={() => setGallery(true)}>
                Start from a template
              </button>
            ) : undefined
          }
        >
          Popups, sticky bars, slide-ins, inline forms and welcome mats: pick a template, then make it yours.
        </EmptyState>
      )}
      {list.data && current && (
        <div className="cta-layout">
          <nav aria-label="CTAs" className="cta-list">
            <ul>
              {list.data.map((c) => (
                <li key={c.id}>
                  <button
                    type="button"
                    className="cta-list__item"
                    aria-current={c.id === current.id ? 'true' : undefined}
                    onClick={() => setSelected(c.id)}
                  >
                    <span className="cta-list__name">{c.name}</span>
                    <span className="row small muted">
                      {kindLabel(c)} <StatusBadge status={c.status} />
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          </nav>
          <CtaEditorPanel
            key={`${current.id}:${current.revision}`}
            siteId={siteId}
            cta={current}
            canEdit={canEdit}
          />
        </div>
      )}
      <Modal open={gallery} title="New CTA from a template" onClose={() => setGallery(false)} wide>
        <CtaTemplateGallery busy={create.isPending} onPick={(template) => create.mutate(template)} />
      </Modal>
    </div>
  );
}

function CtaEditorPanel({ siteId, cta, canEdit }: { siteId: string; cta: CtaDetail; canEdit: boolean }) {
  const queryClient = useQueryClient();
  const [serverProblems, setServerProblems] = useState<CtaProblems>({});
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['ctas', siteId] });
  const stats = useQuery({
    queryKey: ['cta-stats', siteId, cta.id],
    queryFn: () => ctasApi.stats(siteId, cta.id),
  });
  const save = useMutation({
    mutationFn: (draft: CtaDraft) => ctasApi.save(siteId, cta.id, { revision: cta.revision, ...draft }),
    onSuccess: (result) => {
      setServerProblems({});
      if (!result.ok) toast('Someone else saved this CTA; reload to see their changes.', 'error');
      else toast('Saved');
      refresh();
    },
    onError: (error) => {
      if (error instanceof ApiError && error.status === 400)
        setServerProblems(apiProblem(error.path, error.message));
      else toast(errorMessage(error), 'error');
    },
  });
  const action = (fn: () => Promise<unknown>, done: string) => async () => {
    try {
      await fn();
      toast(done);
      refresh();
    } catch (error) {
      toast(errorMessage(error), 'error');
    }
  };
  return (
    <CtaEditor
      cta={cta}
      canEdit={canEdit}
      saving={save.isPending}
      serverProblems={serverProblems}
      onSave={(draft) => save.mutate(draft)}
      actions={(dirty) => (
        <>
          <button
            type="button"
            className="btn"
            disabled={dirty}
            title={dirty ? 'Save the draft first' : undefined}
            onClick={action(() => ctasApi.publish(siteId, cta.id), 'Published')}
          >
            Publish
          </button>
          {cta.status === 'published' && (
            <button
              type="button"
              className="btn"
              onClick={action(() => ctasApi.unpublish(siteId, cta.id), 'Unpublished')}
            >
              Unpublish
            </button>
          )}
          <button
            type="button"
            className="btn btn--ghost"
            onClick={action(() => ctasApi.duplicate(siteId, cta.id), 'Duplicated')}
          >
            Duplicate
          </button>
          <button
            type="button"
            className="btn btn--ghost btn--danger"
            onClick={() => {
              if (window.confirm(`Archive “${cta.name}”? It stops showing on the site.`)) {
                void action(() => ctasApi.archive(siteId, cta.id), 'Archived')();
              }
            }}
          >
            Archive
          </button>
        </>
      )}
      results={
        <section className="card" aria-labelledby="cta-results">
          <h3 id="cta-results" className="cta-section__title">
            Results, last 30 days
          </h3>
          {stats.isError && <ErrorBanner error={stats.error} onRetry={() => void stats.refetch()} />}
          {stats.isPending && <Loading label="Loading results…" />}
          {stats.data && (
            <div className="table-wrap">
              <table className="table" aria-label="Results by variant">
                <thead>
                  <tr>
                    <th scope="col">Variant</th>
                    <th scope="col" className="num">
                      Views
                    </th>
                    <th scope="col" className="num">
                      Clicks
                    </th>
                    <th scope="col" className="num">
                      Conversions
                    </th>
                    <th scope="col" className="num">
                      Rate
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {stats.data.variants.map((v) => (
                    <tr key={v.variantId}>
                      <td>{v.name || v.variantId}</td>
                      <td className="num">{v.impressions}</td>
                      <td className="num">{v.clicks}</td>
                      <td className="num">{v.conversions}</td>
                      <td className="num">{(v.conversionRate * 100).toFixed(1)} %</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      }
    />
  );
}
