// useSettings: the person's settings (api.Settings()), read once, and save,
// which applies one of the API's setters (SetKeepRunning, SetMute) and
// shows the settings as saved. busy while a change is in flight; error is
// why the last read or change failed (the settings shown stay as saved).

import { useCallback, useEffect, useState } from "react";
import type { Api, Settings } from "../lib/api";
import { errorText } from "../lib/transport";

export function useSettings(api: Pick<Api, "Settings">) {
  const [settings, setSettings] = useState<Settings | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    api.Settings().then(
      (s) => live && setSettings(s),
      (e) => live && setError(errorText(e)),
    );
    return () => {
      live = false;
    };
  }, [api]);

  const save = useCallback(async (change: () => Promise<Settings>) => {
    setBusy(true);
    setError(null);
    try {
      setSettings(await change());
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }, []);

  return { settings, busy, error, save };
}
