import { useToastStore } from '../state/toast-store';

export function Toaster() {
  const toasts = useToastStore((state) => state.toasts);
  const dismiss = useToastStore((state) => state.dismiss);
  return (
    <div className="toasts" role="status" aria-live="polite">
      {toasts.map((item) => (
        <div key={item.id} className={`toast${item.tone === 'error' ? ' toast--error' : ''}`}>
          <span>{item.text}</span>{' '}
          <button
            type="button"
            className="btn btn--ghost btn--small"
            style={{ color: 'inherit' }}
            onClick={() => dismiss(item.id)}
            aria-label="Dismiss notification"
          >
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
