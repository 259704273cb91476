// The drawer holding the approvals inbox; Escape or a click beside it closes
// it.
//
// data-testid: approvals-drawer, approvals-drawer-close.

import { useEscape } from "../hooks/useEscape";
import type { Api } from "../lib/api";
import { ApprovalsInbox } from "./panels";

export interface ApprovalsDrawerProps {
  api: Api;
  /** Grows when the approvals changed: the inbox reloads. */
  refresh: number;
  /** The owner decided an effect. */
  onChanged(): void;
  onClose(): void;
  /** The approval to show first (see ApprovalsInbox). */
  focus?: string | null;
}

export function ApprovalsDrawer({ api, refresh, onChanged, onClose, focus }: ApprovalsDrawerProps) {
  useEscape(onClose);
  return (
    <div className="drawer-backdrop" onPointerDown={(e) => e.target === e.currentTarget && onClose()}>
      <aside className="drawer" data-testid="approvals-drawer">
        <button type="button" className="drawer-close" data-testid="approvals-drawer-close" onClick={onClose} aria-label="Close the approvals" title="Close (Esc)">
          ✕
        </button>
        <ApprovalsInbox api={api} refresh={refresh} onChanged={onChanged} focus={focus} />
      </aside>
    </div>
  );
}
