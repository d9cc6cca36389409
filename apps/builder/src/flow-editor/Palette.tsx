import { NODE_CATEGORIES, NODE_REGISTRY, NODE_TYPES, type NodeType } from '@nudgeflow/flow-schema';

export const DRAG_MIME = 'application/x-nudgeflow-node';

const CATEGORY_LABELS = { trigger: 'Triggers', logic: 'Logic', action: 'Actions' } as const;

/** Built from the registry, so a new node kind shows up here without another list to update. */
export function Palette({ onAdd }: { onAdd: (type: NodeType) => void }) {
  return (
    <nav className="palette" aria-label="Steps you can add">
      <p className="muted small" style={{ margin: '0 0 6px' }}>
        Drag onto the canvas, or press Enter to add.
      </p>
      {NODE_CATEGORIES.map((category) => (
        <section key={category} className="palette__group" aria-label={CATEGORY_LABELS[category]}>
          <h3>{CATEGORY_LABELS[category]}</h3>
          {NODE_TYPES.filter((type) => NODE_REGISTRY[type].category === category).map((type) => {
            const definition = NODE_REGISTRY[type];
            return (
              <button
                key={type}
                type="button"
                className={`palette__item palette__item--${category}`}
                draggable
                title={definition.description}
                aria-label={`Add ${definition.label} (${CATEGORY_LABELS[category].toLowerCase()})`}
                onDragStart={(event) => {
                  event.dataTransfer.setData(DRAG_MIME, type);
                  event.dataTransfer.effectAllowed = 'move';
                }}
                onClick={() => onAdd(type)}
              >
                <span className="palette__icon" aria-hidden="true">
                  {definition.glyph}
                </span>
                {definition.label}
              </button>
            );
          })}
        </section>
      ))}
    </nav>
  );
}
