// @vitest-environment jsdom
import { act, cleanup, renderHook } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { deferred, fakeApi } from "../components/panels/testing";
import type { Authored, Workspace } from "../lib/api";
import { useDescribe } from "./useDescribe";

afterEach(cleanup);

const out = (code: string): Authored => ({ agent: "a", model: "m", code, diff: "", value: null, calls: [], attempts: [{ code }] });

describe("useDescribe", () => {
  it("drops an answer that arrives after the agent changed", async () => {
    const held = deferred<Authored>();
    const api = fakeApi({ Describe: () => held.promise });
    const { result, rerender } = renderHook(({ agent }) => useDescribe(api, agent, vi.fn()), { initialProps: { agent: "a" } });
    let done!: Promise<void>;
    act(() => {
      done = result.current.write("x", "", "");
    });
    expect(result.current.writing).toBe(true);
    rerender({ agent: "b" });
    expect(result.current.writing).toBe(false);
    await act(async () => {
      held.resolve(out("late"));
      await done;
    });
    expect(result.current.result).toBeNull();
  });

  it("drops the answer of a Write discarded in flight, keeps a newer one", async () => {
    const first = deferred<Authored>();
    const api = fakeApi({ Describe: vi.fn().mockReturnValueOnce(first.promise).mockResolvedValueOnce(out("second")) });
    const { result } = renderHook(() => useDescribe(api, "a", vi.fn()));
    let p1!: Promise<void>;
    act(() => {
      p1 = result.current.write("x", "", "");
    });
    act(() => result.current.discard());
    await act(async () => {
      await result.current.write("y", "", "");
    });
    await act(async () => {
      first.resolve(out("first"));
      await p1;
    });
    expect(result.current.result?.code).toBe("second");
  });

  it("keeps failed attempts with their error, and has nothing to accept", async () => {
    const failed: Authored = { ...out(""), error: "no attempt passed (after 1 attempts)" };
    const api = fakeApi({ Describe: async () => failed, UpdateAgent: vi.fn() });
    const { result } = renderHook(() => useDescribe(api, "a", vi.fn()));
    await act(async () => {
      await result.current.write("x", "", "");
    });
    expect(result.current.result?.attempts).toHaveLength(1);
    expect(result.current.error).toBe("no attempt passed (after 1 attempts)");
    await act(async () => expect(await result.current.accept()).toBeNull());
    expect(api.UpdateAgent).not.toHaveBeenCalled();
  });

  it("accept saves the code and hands back the workspace; nothing to accept is null", async () => {
    const ws = { name: "w" } as Workspace;
    const onWorkspace = vi.fn();
    const api = fakeApi({ Describe: async () => out("code!"), UpdateAgent: async () => ws });
    const { result } = renderHook(() => useDescribe(api, "a", onWorkspace));
    await act(async () => expect(await result.current.accept()).toBeNull());
    await act(async () => {
      await result.current.write("x", "m", "");
    });
    await act(async () => expect(await result.current.accept()).toBe("code!"));
    expect(api.UpdateAgent).toHaveBeenCalledWith("a", { name: "a", code: "code!" });
    expect(onWorkspace).toHaveBeenCalledWith(ws);
    expect(result.current.result).toBeNull();
  });
});
