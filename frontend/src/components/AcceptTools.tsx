// The button on a problem an MCP server's changed tools cause (Problem.tools
// names the capability): it accepts the new tool list (AcceptTools), which
// restarts the army, and hands back the army as it is then.
//
// data-testid: accept-tools; accept-tools-error.

import { useState } from "react";
import type { Api, Workspace } from "../lib/api";
import { errorText } from "../lib/transport";

export function AcceptTools({
  api,
  capability,
  onWorkspace,
}: {
  api: Api;
  capability: string;
  onWorkspace: (ws: Workspace) => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const accept = async () => {
    setBusy(true);
    setError(null);
    try {
      onWorkspace(await api.AcceptTools(capability));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="accept-tools">
      <button
        type="button"
        data-testid="accept-tools"
        disabled={busy}
        onClick={() => void accept()}
        title={`Use the tools the MCP server of ${capability} offers now: its agents may call them from now on`}
      >
        {busy ? "Accepting…" : `Accept the new tools of ${capability}`}
      </button>
      {error && (
        <span role="alert" className="accept-tools-error" data-testid="accept-tools-error">
          {error}
        </span>
      )}
    </span>
  );
}
