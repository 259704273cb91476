// useDescribe: the Describe box's calls. A model writes an agent's module
// from the owner's words (Describe: compiled, dry-run with writes simulated,
// not saved); Accept keeps it with UpdateAgent {name, code}; Discard forgets
// it. When every attempt failed, Describe answers with the attempts and an
// error: both are kept, to show, and there is nothing to accept. An answer to a call that was superseded (a newer Write, a Discard, or
// another agent) is dropped.

import { useEffect, useRef, useState } from "react";
import type { Api, Authored, Workspace } from "../lib/api";
import { errorText } from "../lib/transport";

export interface Describe {
  /** A Write is waiting for the model. */
  writing: boolean;
  /** The last Write's module, with its attempts, calls, dry-run value and diff;
   * when every attempt failed, the attempts alone, with error set. */
  result: Authored | null;
  /** Why the last Write or Accept failed, as Go said it. */
  error: string | null;
  /** An Accept is being saved. */
  accepting: boolean;
  /** Asks the model; model "" is the agent's own (or the army's only one), input "" is null. */
  write(description: string, model: string, input: string): Promise<void>;
  /** Saves the written module as the agent's code; resolves with it, or null when it failed. */
  accept(): Promise<string | null>;
  /** Forgets the written module (and drops a Write in flight). */
  discard(): void;
}

export function useDescribe(api: Api, agent: string, onWorkspace: (ws: Workspace) => void): Describe {
  const [writing, setWriting] = useState(false);
  const [result, setResult] = useState<Authored | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [accepting, setAccepting] = useState(false);
  const seq = useRef(0);

  // Another agent: nothing written for the previous one applies.
  useEffect(() => {
    seq.current++;
    setWriting(false);
    setResult(null);
    setError(null);
  }, [agent]);

  const write = async (description: string, model: string, input: string) => {
    const my = ++seq.current;
    setWriting(true);
    setError(null);
    setResult(null);
    try {
      const out = await api.Describe(agent, description, model, input);
      if (my === seq.current) {
        // Every attempt failed: keep them to show, with the reason.
        setResult(out);
        if (out.error) setError(out.error);
      }
    } catch (err) {
      if (my === seq.current) setError(errorText(err));
    } finally {
      if (my === seq.current) setWriting(false);
    }
  };

  const accept = async (): Promise<string | null> => {
    if (!result || result.error || accepting) return null;
    const code = result.code;
    const my = seq.current;
    setAccepting(true);
    setError(null);
    try {
      const ws = await api.UpdateAgent(agent, { name: agent, code });
      onWorkspace(ws);
      if (my === seq.current) setResult(null);
      return code;
    } catch (err) {
      if (my === seq.current) setError(errorText(err));
      return null;
    } finally {
      setAccepting(false);
    }
  };

  const discard = () => {
    seq.current++;
    setWriting(false);
    setResult(null);
    setError(null);
  };

  return { writing, result, error, accepting, write, accept, discard };
}
