// The desktop notification settings: mute them all, or apart the actions
// held for approval, the agents cordoned and the messages moved to the dead
// letters. Read with api.Settings(), saved with api.SetMute(mutes); the
// engine reads them before each notification, so a change applies to the
// next one.
//
// data-testid: mute-all, mute-approvals, mute-cordons, mute-dead-letters
// (the checkboxes; disabled until the settings are read, the three kinds
// while all are muted), mute-error.

import { useEffect, useState } from "react";
import type { Api, Mutes } from "../lib/api";
import { errorText } from "../lib/transport";

type Kind = Exclude<keyof Mutes, "all">;

/** The kinds, as the person reads them. */
const KINDS: { key: Kind; testId: string; label: string }[] = [
  { key: "approvals", testId: "mute-approvals", label: "actions waiting for your approval" },
  { key: "cordons", testId: "mute-cordons", label: "agents cordoned after killing their cell" },
  { key: "deadLetters", testId: "mute-dead-letters", label: "messages moved to the dead letters" },
];

export function MuteSettings({ api }: { api: Pick<Api, "Settings" | "SetMute"> }) {
  const [mutes, setMutes] = useState<Mutes | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    api.Settings().then(
      (s) => live && setMutes(s.mute ?? {}),
      (e) => live && setError(errorText(e)),
    );
    return () => {
      live = false;
    };
  }, [api]);

  const change = async (key: keyof Mutes, on: boolean) => {
    if (!mutes) return;
    setBusy(true);
    setError(null);
    try {
      setMutes((await api.SetMute({ ...mutes, [key]: on })).mute ?? {});
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const off = mutes === null || busy;
  return (
    <div className="setting">
      <label className="setting-row">
        <input type="checkbox" data-testid="mute-all" checked={mutes?.all ?? false} disabled={off} onChange={(e) => void change("all", e.target.checked)} />
        <span>Mute desktop notifications</span>
      </label>
      <p className="setting-doc">Or mute only some of them:</p>
      {KINDS.map((k) => (
        <label key={k.key} className="setting-row setting-sub">
          <input
            type="checkbox"
            data-testid={k.testId}
            checked={mutes?.all || (mutes?.[k.key] ?? false)}
            disabled={off || !!mutes?.all}
            onChange={(e) => void change(k.key, e.target.checked)}
          />
          <span>Mute {k.label}</span>
        </label>
      ))}
      {error && (
        <p className="setting-error" role="alert" data-testid="mute-error">
          {error}
        </p>
      )}
    </div>
  );
}
