import { embedSnippet } from '../api/sites';
import { useCopy } from '../hooks/useCopy';

export function EmbedSnippet({ writeKey }: { writeKey: string }) {
  const copy = useCopy();
  const snippet = embedSnippet(writeKey);
  return (
    <div className="snippet">
      <pre aria-label="Embed snippet">{snippet}</pre>
      <button type="button" className="btn" onClick={() => void copy(snippet, 'Embed snippet')}>
        Copy snippet
      </button>
    </div>
  );
}
