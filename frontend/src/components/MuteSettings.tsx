// The desktop notification settings: mute them all, or apart the actions
// held for approval, the agents cordoned and the messages moved to the dead
// letters. Read with api.Settings(), saved with api.SetMute(mutes); the
// engine reads them before each notification, so a change applies to the
// next one.
//
// data-testid: mute-all, mute-approvals, mute-cordons, mute-dead-letters
// (the checkboxes; disabled until the settings are read, the three kinds
// while all are muted), mute-error.

import { useSettings } from "../hooks/useSettings";
import type { Api, Mutes } from "../lib/api";

type Kind = Exclude<keyof Mutes, "all">;

/** The kinds, as the person reads them. */
const KINDS: { key: Kind; testId: string; label: string }[] = [
  { key: "approvals", testId: "mute-approvals", label: "actions waiting for your approval" },
  { key: "cordons", testId: "mute-cordons", label: "agents cordoned after killing their cell" },
  { key: "deadLetters", testId: "mute-dead-letters", label: "messages moved to the dead letters" },
];

export function MuteSettings({ api }: { api: Pick<Api, "Settings" | "SetMute"> }) {
  const { settings, busy, error, save } = useSettings(api);
  const mutes: Mutes | null = settings && (settings.mute ?? {});
  const change = (key: keyof Mutes, on: boolean) => {
    if (mutes) void save(() => api.SetMute({ ...mutes, [key]: on }));
  };

  const off = mutes === null || busy;
  return (
    <div className="setting">
      <label className="setting-row">
        <input type="checkbox" data-testid="mute-all" checked={mutes?.all ?? false} disabled={off} onChange={(e) => change("all", e.target.checked)} />
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
            onChange={(e) => change(k.key, e.target.checked)}
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
