/** A page's tab strip (ARIA tabs): the panel it controls is `panel-<id>`, labelled by `tab-<id>`. */
export function TabBar<Id extends string>({
  label,
  tabs,
  current,
  onSelect,
}: {
  label: string;
  tabs: readonly { id: Id; label: string }[];
  current: Id;
  onSelect: (id: Id) => void;
}) {
  return (
    <div className="tabs" role="tablist" aria-label={label}>
      {tabs.map((candidate) => (
        <button
          key={candidate.id}
          type="button"
          role="tab"
          id={`tab-${candidate.id}`}
          aria-selected={current === candidate.id}
          aria-controls={`panel-${candidate.id}`}
          onClick={() => onSelect(candidate.id)}
        >
          {candidate.label}
        </button>
      ))}
    </div>
  );
}
