// AttemptList: a model's tries at an agent's code (Code Mode): each with its
// number, ok or its error, the tokens it cost, whether it was the cached plan,
// and its code (collapsed).
//
// data-testid: attempts (the list), attempt-<n> (n from 1; data-ok="1|0"),
// attempt-error-<n>, attempt-code-<n> (the <details>).

import type { Attempt } from "../../lib/api";

/** How an attempt's usage reads ("" when the reply had none). */
export function tokensText(a: Attempt): string {
  const u = a.usage;
  if (!u) return "";
  const total = u.total_tokens || u.prompt_tokens + u.completion_tokens;
  return `${total} tokens (${u.prompt_tokens} in, ${u.completion_tokens} out)`;
}

/** A run's attempts in a few words: "cached plan", "1 attempt", "3 attempts". */
export function attemptsText(attempts: readonly Attempt[]): string {
  if (attempts.length === 1 && attempts[0].cached) return "cached plan";
  return `${attempts.length} attempt${attempts.length === 1 ? "" : "s"}`;
}

export function AttemptList({ attempts }: { attempts: readonly Attempt[] }) {
  if (attempts.length === 0) return null;
  return (
    <ol className="lbp-attempts" data-testid="attempts">
      {attempts.map((a, i) => {
        const n = i + 1;
        const ok = !a.error;
        const tokens = tokensText(a);
        return (
          <li key={i} className={`lbp-attempt ${ok ? "lbp-attempt-ok" : "lbp-attempt-failed"}`} data-testid={`attempt-${n}`} data-ok={ok ? "1" : "0"}>
            <div className="lbp-attempt-head">
              <span className="lbp-attempt-n">#{n}</span>
              <span className={`lbp-status lbp-status-${ok ? "ok" : "error"}`}>{ok ? "✓ ok" : "✕ error"}</span>
              {a.cached && (
                <span className="lbp-chip lbp-chip-kind" title="the code cached for this agent's plan: no model call">
                  cached plan
                </span>
              )}
              {tokens && <span className="lbp-muted lbp-small">{tokens}</span>}
            </div>
            {a.error && (
              <pre className="lbp-attempt-error" data-testid={`attempt-error-${n}`}>
                {a.error}
              </pre>
            )}
            <details className="lbp-attempt-code" data-testid={`attempt-code-${n}`}>
              <summary>code</summary>
              <pre className="lbp-pre">{a.code || "(the reply had no code)"}</pre>
              {(a.console ?? []).length > 0 && (
                <pre className="lbp-pre lbp-attempt-console">{(a.console ?? []).map((l) => `${l.level}: ${l.text}`).join("\n")}</pre>
              )}
            </details>
          </li>
        );
      })}
    </ol>
  );
}
