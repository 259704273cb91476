// A modal dialog with a title and a close button; Escape or a click beside
// it closes it.
//
// data-testid: the given testId on the dialog, TESTID-close on its button.

import type { ReactNode } from "react";
import { useEscape } from "../hooks/useEscape";

export function Modal({ testId, title, onClose, children, wide }: { testId: string; title: string; onClose(): void; children: ReactNode; wide?: boolean }) {
  useEscape(onClose);
  return (
    <div className="modal-backdrop" onPointerDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className={`modal${wide ? " wide" : ""}`} data-testid={testId} role="dialog" aria-label={title}>
        <div className="modal-head">
          <h2>{title}</h2>
          <button type="button" className="icon-button" data-testid={`${testId}-close`} onClick={onClose} aria-label="Close">
            ✕
          </button>
        </div>
        <div className="modal-body">{children}</div>
      </div>
    </div>
  );
}
