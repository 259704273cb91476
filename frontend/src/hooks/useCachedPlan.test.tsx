// @vitest-environment jsdom
import { act, cleanup, renderHook, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { deferred, fakeApi } from "../components/panels/testing";
import { useCachedPlan } from "./useCachedPlan";

afterEach(cleanup);

describe("useCachedPlan", () => {
  it("reads the plan, and again when a run ends, not on every render", async () => {
    let plan = "";
    const api = fakeApi({ CachedPlan: async () => plan });
    const view = { name: "a" };
    const { result, rerender } = renderHook(({ runs }) => useCachedPlan(api, "a", view, runs), { initialProps: { runs: 1 } });
    await waitFor(() => expect(result.current.code).toBe(""));
    rerender({ runs: 1 });
    await act(async () => {});
    expect(api.CachedPlan).toHaveBeenCalledTimes(1);
    plan = "return 1;";
    rerender({ runs: 2 });
    await waitFor(() => expect(result.current.code).toBe("return 1;"));
    expect(api.CachedPlan).toHaveBeenCalledTimes(2);
  });

  it("drops an answer for the agent shown before", async () => {
    const old = deferred<string>();
    const api = fakeApi({ CachedPlan: (agent: string) => (agent === "a" ? old.promise : Promise.resolve("b's plan")) });
    const { result, rerender } = renderHook(({ agent }) => useCachedPlan(api, agent, agent), { initialProps: { agent: "a" } });
    rerender({ agent: "b" });
    await waitFor(() => expect(result.current.code).toBe("b's plan"));
    await act(async () => old.resolve("a's plan"));
    expect(result.current.code).toBe("b's plan");
  });
});
