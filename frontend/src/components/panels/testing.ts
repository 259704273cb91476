// Helpers for the panels' tests (imported by *.test.tsx only).

import { type Mock, vi } from "vitest";
import type { Api } from "../../lib/api";

/** An Api whose methods are mocks. */
export type FakeApi = { [K in keyof Api]: Api[K] & Mock<Api[K]> };

/** A fake Api: only the given methods exist, each a vi.fn; others reject when called. */
export function fakeApi(methods: Partial<{ [K in keyof Api]: Api[K] }>): FakeApi {
  const out: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(methods)) out[k] = vi.fn(f as (...a: unknown[]) => unknown);
  return new Proxy(out, {
    get(target, key: string) {
      if (key in target) return target[key];
      if (key === "then") return undefined;
      return () => Promise.reject(new Error(`fake Api: ${key} was not expected`));
    },
  }) as FakeApi;
}

/** A promise with its resolve and reject, to hold a call in flight. */
export function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** What jsdom lacks and CodeMirror measures with; and React's act() switched on. */
export function installDomShims(): void {
  (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
  const rects = () => {
    const list = [] as unknown as DOMRectList;
    return Object.assign(list, { item: () => null });
  };
  const rect = () => ({ x: 0, y: 0, top: 0, left: 0, bottom: 0, right: 0, width: 0, height: 0, toJSON() {} }) as DOMRect;
  if (typeof Range !== "undefined") {
    Range.prototype.getClientRects ??= rects;
    Range.prototype.getBoundingClientRect ??= rect;
  }
}
