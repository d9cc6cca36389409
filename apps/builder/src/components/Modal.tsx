import { useEffect, useRef, type ReactNode } from 'react';

interface Props {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ReactNode;
  wide?: boolean;
}

/** A native <dialog>: focus is trapped and Escape closes it without extra code. */
export function Modal({ open, title, onClose, children, wide }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      className="modal"
      aria-label={title}
      onClose={onClose}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
      style={wide ? { width: 'min(860px, calc(100vw - 32px))' } : undefined}
    >
      {open && (
        <div className="modal__body">
          <div className="row">
            <h2 style={{ margin: 0 }}>{title}</h2>
            <span className="spacer" />
            <button
              type="button"
              className="btn btn--ghost btn--icon"
              aria-label="Close dialog"
              onClick={onClose}
            >
              ×
            </button>
          </div>
          {children}
        </div>
      )}
    </dialog>
  );
}
