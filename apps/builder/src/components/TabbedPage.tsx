import type { ReactNode } from 'react';
import { TabBar } from './TabBar';

/**
 * A page of a site split into tabs (settings, webhooks): its heading with the site's name, the tab strip
 * (`label` names it), and the panel of the current tab, which holds the children.
 */
export function TabbedPage<Id extends string>({
  title,
  siteName,
  label,
  tabs,
  current,
  onSelect,
  panelClassName,
  children,
}: {
  title: string;
  siteName: string;
  label: string;
  tabs: readonly { id: Id; label: string }[];
  current: Id;
  onSelect: (id: Id) => void;
  panelClassName?: string;
  children: ReactNode;
}) {
  return (
    <div className="page">
      <div className="page__header">
        <h1>{title}</h1>
        <span className="muted">{siteName}</span>
      </div>
      <TabBar label={label} tabs={tabs} current={current} onSelect={onSelect} />
      <div
        className={panelClassName}
        role="tabpanel"
        id={`panel-${current}`}
        aria-labelledby={`tab-${current}`}
      >
        {children}
      </div>
    </div>
  );
}
