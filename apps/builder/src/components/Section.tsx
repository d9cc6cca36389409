import { useId, type ReactNode } from 'react';

/**
 * A labelled section of a page (a region named by its heading), as the reports lay them out: a card with
 * its title, the actions on the right, an optional description, then the content.
 */
export function Section({
  title,
  description,
  actions,
  children,
  className,
}: {
  title: ReactNode;
  description?: ReactNode;
  actions?: ReactNode;
  children?: ReactNode;
  className?: string;
}) {
  const id = useId();
  return (
    <section className={`card stack section${className ? ` ${className}` : ''}`} aria-labelledby={id}>
      <div className="page__header section__header">
        <h2 id={id}>{title}</h2>
        <span className="spacer" />
        {actions}
      </div>
      {description && <p className="muted section__description">{description}</p>}
      {children}
    </section>
  );
}
