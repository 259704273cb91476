// The number of effects waiting for the owner, for a title bar.
//
// data-testid: approvals-badge (data-count).

import { Glyph } from "./parts";

export interface ApprovalsBadgeProps {
  count: number;
  onClick?: () => void;
  /** Hide the badge entirely when nothing is waiting (default: show a quiet zero). */
  hideWhenZero?: boolean;
  /** The text beside the count; "Approvals" by default, "" for the count alone. */
  label?: string;
}

/** The number of effects waiting for the owner, as a button-sized badge. */
export function ApprovalsBadge({ count, onClick, hideWhenZero, label = "Approvals" }: ApprovalsBadgeProps) {
  const n = Number.isFinite(count) && count > 0 ? Math.floor(count) : 0;
  if (n === 0 && hideWhenZero) return null;
  const says = n === 0 ? "No approvals waiting" : `${n} approval${n === 1 ? "" : "s"} waiting`;
  return (
    <button
      type="button"
      className={n > 0 ? "lbp-badge lbp-badge-active" : "lbp-badge lbp-badge-zero"}
      data-testid="approvals-badge"
      data-count={n}
      aria-label={says}
      title={says}
      onClick={onClick}
    >
      <Glyph name="pause" size={13} />
      {label && <span>{label}</span>}
      <span className="lbp-badge-count">{n > 99 ? "99+" : n}</span>
    </button>
  );
}
