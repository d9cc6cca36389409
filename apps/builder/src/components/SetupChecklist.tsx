import { useState } from 'react';
import { Link } from 'react-router-dom';
import type { FlowSummary } from '../api/flows';
import { useInstallCheck } from '../hooks/useInstallCheck';
import { InstallCheck } from './InstallGuide';

const dismissedKey = (siteId: string) => `nf:setup-dismissed:${siteId}`;

/** The flows page's set-up checklist, shown until every item is done (or the marketer hides it). */
export function SetupChecklist({
  siteId,
  flows,
  canEdit,
  onCreateFlow,
}: {
  siteId: string;
  flows: FlowSummary[];
  canEdit: boolean;
  onCreateFlow: () => void;
}) {
  const { received } = useInstallCheck(siteId);
  const [dismissed, setDismissed] = useState(() => localStorage.getItem(dismissedKey(siteId)) === '1');
  const items = [
    { id: 'install', done: received, label: 'Install the snippet and receive a first event' },
    { id: 'flow', done: flows.length > 0, label: 'Create a flow from a template' },
    { id: 'publish', done: flows.some((f) => f.publishedVersion !== null), label: 'Publish it' },
  ];
  const left = items.filter((i) => !i.done).length;
  if (left === 0 || dismissed || !canEdit) return null;
  return (
    <section className="card stack" aria-labelledby="setup-checklist" style={{ marginBottom: 18 }}>
      <div className="row">
        <h2 id="setup-checklist" style={{ margin: 0, fontSize: 15 }}>
          Get set up · {items.length - left} of {items.length} done
        </h2>
        <span className="spacer" />
        <button
          type="button"
          className="btn btn--small btn--ghost"
          onClick={() => {
            localStorage.setItem(dismissedKey(siteId), '1');
            setDismissed(true);
          }}
        >
          Hide
        </button>
      </div>
      <ul className="setup-steps" aria-label="Set-up checklist">
        {items.map((item, i) => (
          <li key={item.id} className={`setup-step${item.done ? ' setup-step--done' : ''}`}>
            <span className="setup-step__mark" aria-hidden="true">
              {item.done ? '✓' : i + 1}
            </span>
            <div className="stack" style={{ gap: 6 }}>
              <span>
                {item.label}
                <span className="visually-hidden">{item.done ? ' (done)' : ' (to do)'}</span>
              </span>
              {item.id === 'install' && !item.done && (
                <div className="row">
                  <InstallCheck siteId={siteId} />
                  <Link to={`/sites/${siteId}/settings`}>Get the snippet</Link>
                </div>
              )}
              {item.id === 'flow' && !item.done && (
                <div>
                  <button type="button" className="btn btn--small btn--primary" onClick={onCreateFlow}>
                    Choose a template
                  </button>
                </div>
              )}
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
