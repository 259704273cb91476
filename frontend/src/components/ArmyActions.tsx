// The title bar's buttons on the army screen: import, export, secrets,
// settings, and the approvals badge.
//
// data-testid: open-import, open-export, open-secrets, open-settings,
// open-approvals (holds approvals-badge).

import { Icon } from "./canvas/icons";
import { ApprovalsBadge } from "./panels";

/** Which dialog a button opens. */
export type Dialog = "secrets" | "import" | "export" | "settings";

export interface ArmyActionsProps {
  approvals: number;
  onDialog(d: Dialog): void;
  onApprovals(): void;
}

export function ArmyActions({ approvals, onDialog, onApprovals }: ArmyActionsProps) {
  return (
    <>
      <div className="toolbar-group">
        <button type="button" className="tb-button" data-testid="open-import" onClick={() => onDialog("import")} title="Import an army from YAML, or open an example">
          <Icon name="import" size={13} /> Import
        </button>
        <button type="button" className="tb-button" data-testid="open-export" onClick={() => onDialog("export")} title="Export the army as YAML">
          <Icon name="export" size={13} /> Export
        </button>
        <button type="button" className="tb-button" data-testid="open-secrets" onClick={() => onDialog("secrets")} title="Secrets in the OS keyring">
          <Icon name="key" size={13} /> Secrets
        </button>
        <button type="button" className="tb-button" data-testid="open-settings" onClick={() => onDialog("settings")} title="Settings">
          Settings
        </button>
      </div>
      <div className="approvals-button" data-testid="open-approvals">
        <ApprovalsBadge count={approvals} onClick={onApprovals} />
      </div>
    </>
  );
}
