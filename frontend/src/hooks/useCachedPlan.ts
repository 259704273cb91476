// useCachedPlan: the code a plan-mode instructions agent's model wrote, as
// cached after its first run (CachedPlan; "" until then). Reloaded when the
// agent's view changes (its instructions saved), when a run ends, and on
// reload().

import { useCallback, useEffect, useRef, useState } from "react";
import type { Api } from "../lib/api";
import { errorText } from "../lib/transport";

export interface CachedPlan {
  /** The cached code; "" when not written yet; null while the first answer is awaited. */
  code: string | null;
  error: string | null;
  loading: boolean;
  reload(): void;
}

/**
 * The cached plan of agent. A change of view (the agent's view object) or of
 * runsVersion (a run ended) reads it again.
 */
export function useCachedPlan(api: Api, agent: string, view: unknown, runsVersion?: number): CachedPlan {
  const [code, setCode] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const seq = useRef(0);

  const load = useCallback(() => {
    const my = ++seq.current;
    setLoading(true);
    api.CachedPlan(agent).then(
      (c) => {
        if (my !== seq.current) return;
        setCode(typeof c === "string" ? c : "");
        setError(null);
        setLoading(false);
      },
      (err) => {
        if (my !== seq.current) return;
        setError(errorText(err));
        setLoading(false);
      },
    );
  }, [api, agent]);

  useEffect(() => {
    load();
    return () => {
      seq.current++;
    };
  }, [load, view, runsVersion]);

  return { code, error, loading, reload: load };
}
