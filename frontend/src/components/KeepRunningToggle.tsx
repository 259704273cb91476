// The setting "keep running after the window closes": whether the engine
// (the army watching mail, holding approvals) goes on after the last
// window or `serve` closes, or exits a while after. Read with
// api.Settings(), set with api.SetKeepRunning(on).
//
// data-testid: keep-running (the checkbox; disabled until the setting is
// read), keep-running-error.

import { useSettings } from "../hooks/useSettings";
import type { Api } from "../lib/api";

export function KeepRunningToggle({ api }: { api: Pick<Api, "Settings" | "SetKeepRunning"> }) {
  const { settings, busy, error, save } = useSettings(api);
  const on = settings?.keepRunning ?? null;
  const change = (next: boolean) => save(() => api.SetKeepRunning(next));

  return (
    <div className="setting">
      <label className="setting-row">
        <input type="checkbox" data-testid="keep-running" checked={on ?? false} disabled={on === null || busy} onChange={(e) => void change(e.target.checked)} />
        <span>Keep the army running after the window closes</span>
      </label>
      <p className="setting-doc">
        On, the engine goes on watching and holding approvals with no window open. Off, it stops a couple of minutes after the last window closes. It
        applies the next time the engine starts.
      </p>
      {error && (
        <p className="setting-error" role="alert" data-testid="keep-running-error">
          {error}
        </p>
      )}
    </div>
  );
}
