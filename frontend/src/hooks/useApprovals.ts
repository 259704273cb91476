// useApprovals: the number of effects waiting for the owner (the title
// bar's badge), and a counter the inbox reloads on.

import { useCallback, useState } from "react";
import type { Api } from "../lib/api";

export interface ApprovalsState {
  /** Effects pending (or being approved). */
  count: number;
  /** Grows whenever the approvals changed: the inbox reloads on it. */
  version: number;
  /** Counts the pending effects again; a failure keeps the last count. */
  refresh(): Promise<void>;
  /** An approval arrived or was decided: count again and reload the inbox. */
  changed(): void;
}

export function useApprovals(api: Api | null): ApprovalsState {
  const [count, setCount] = useState(0);
  const [version, setVersion] = useState(0);
  const refresh = useCallback(async () => {
    if (!api) return;
    try {
      const list = await api.Approvals(false);
      setCount(Array.isArray(list) ? list.filter((e) => e.status === "pending" || e.status === "approving").length : 0);
    } catch {
      // the badge keeps its last count; the inbox shows the error
    }
  }, [api]);
  const changed = useCallback(() => {
    void refresh();
    setVersion((v) => v + 1);
  }, [refresh]);
  return { count, version, refresh, changed };
}
