// useWorkspace: the page's connection to the backend and what it loads
// first: the open army (Workspace), the capability kinds and the version.

import { useCallback, useEffect, useState } from "react";
import type { Api, KindInfo, Workspace } from "../lib/api";
import { type Connection, type ConnectionState, errorText, ready } from "../lib/transport";

export interface WorkspaceState {
  conn: Connection | null;
  /** The connection's Api, once there is one. */
  api: Api | null;
  state: ConnectionState;
  version: string | null;
  /** The army as Go last returned it; null until loaded. */
  ws: Workspace | null;
  /** Replaces the Workspace with one an edit returned. */
  setWs(ws: Workspace): void;
  kinds: KindInfo[];
  /** Why the first load failed, or null. */
  loadError: string | null;
  /** Loads the Workspace again; a failure goes to onError. */
  reload(onError: (message: string) => void): Promise<void>;
}

/**
 * Connects (given, or whichever transport this page has), then loads the
 * Workspace, the kinds and the version.
 */
export function useWorkspace(given?: Connection): WorkspaceState {
  const [conn, setConn] = useState<Connection | null>(given ?? null);
  const [state, setState] = useState<ConnectionState>("checking");
  const [version, setVersion] = useState<string | null>(null);
  const [ws, setWs] = useState<Workspace | null>(null);
  const [kinds, setKinds] = useState<KindInfo[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    void (async () => {
      const c = given ?? (await ready());
      if (!live) return;
      setConn(c);
      try {
        const [w, k, v] = await Promise.all([c.api.Workspace(), c.api.Kinds(), c.api.Version()]);
        if (!live) return;
        setWs(w);
        setKinds(Array.isArray(k) ? k : []);
        setVersion(typeof v === "string" && v ? v : null);
        setState("connected");
      } catch (err) {
        if (!live) return;
        setState("disconnected");
        setLoadError(errorText(err));
      }
    })();
    return () => {
      live = false;
    };
  }, [given]);

  const api = conn?.api ?? null;
  const reload = useCallback(
    async (onError: (message: string) => void) => {
      if (!api) return;
      try {
        setWs(await api.Workspace());
      } catch (err) {
        onError(`reloading the army: ${errorText(err)}`);
      }
    },
    [api],
  );

  return { conn, api, state, version, ws, setWs, kinds, loadError, reload };
}
