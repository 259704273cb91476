// useRunning: the armies the engine runs (api.Running()), read on mount and
// again on refresh (the page calls it on "workspace", "army.started" and
// "army.stopped" events); open shows one of them (api.OpenRunning) and
// hands the new Workspace to onWorkspace; stop stops one (api.StopArmy)
// and reads the list again. busy names the army an action is in flight
// for; error is why the last read or action failed (the list shown stays
// as last read).

import { useCallback, useEffect, useState } from "react";
import type { Api, RunningArmy, Workspace } from "../lib/api";
import { errorText } from "../lib/transport";

export type RunningApi = Pick<Api, "Running" | "OpenRunning" | "StopArmy">;

export interface RunningState {
  /** The armies running, by name; null until read. */
  armies: RunningArmy[] | null;
  busy: string | null;
  error: string | null;
  refresh(): Promise<void>;
  open(name: string): Promise<void>;
  stop(name: string): Promise<void>;
}

export function useRunning(api: RunningApi | null, onWorkspace: (ws: Workspace) => void): RunningState {
  const [armies, setArmies] = useState<RunningArmy[] | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  // read reads the list, leaving error to the caller.
  const read = useCallback(async () => {
    if (!api) return;
    const list = await api.Running();
    setArmies(Array.isArray(list) ? list : []);
  }, [api]);

  const refresh = useCallback(async () => {
    try {
      await read();
      setError(null);
    } catch (e) {
      setError(errorText(e));
    }
  }, [read]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const act = useCallback(
    async (name: string, fn: () => Promise<void>) => {
      setBusy(name);
      setError(null);
      try {
        await fn();
      } catch (e) {
        setError(errorText(e));
      } finally {
        setBusy(null);
      }
      try {
        await read();
      } catch {
        // the list stays as last read; the action's error, if any, is shown
      }
    },
    [read],
  );

  const open = useCallback(
    (name: string) =>
      act(name, async () => {
        if (api) onWorkspace(await api.OpenRunning(name));
      }),
    [act, api, onWorkspace],
  );
  const stop = useCallback(
    (name: string) =>
      act(name, async () => {
        if (api) await api.StopArmy(name);
      }),
    [act, api],
  );

  return { armies, busy, error, refresh, open, stop };
}
