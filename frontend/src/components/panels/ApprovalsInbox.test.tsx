// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Effect } from "../../lib/api";
import { ApprovalsBadge, ApprovalsInbox } from "./index";
import { deferred, fakeApi } from "./testing";

afterEach(cleanup);

const effect = (id: string, extra: Partial<Effect> = {}): Effect => ({
  id,
  agent: "summarizer",
  env: "hook",
  capability: "webhook",
  method: "post",
  args: { url: "https://hooks.example.org/x", body: "Line one\nLine two of a long body" },
  why: "summarizer read mail from alice@example.org; the webhook is public",
  created: 1_700_000_000_000,
  status: "pending",
  audience: ["everyone"],
  ...extra,
});

function setup(pending: Effect[], decided: Effect[] = [], overrides: Parameters<typeof fakeApi>[0] = {}) {
  let open = pending;
  const api = fakeApi({
    Approvals: async (all: boolean) => (all ? [...open, ...decided] : open),
    Approve: async (id: string) => {
      open = open.filter((e) => e.id !== id);
      return effect(id, { status: "approved" });
    },
    Deny: async (id: string) => {
      open = open.filter((e) => e.id !== id);
      return effect(id, { status: "denied" });
    },
    ...overrides,
  });
  const onChanged = vi.fn();
  const utils = render(<ApprovalsInbox api={api} onChanged={onChanged} />);
  return { api, onChanged, ...utils };
}

describe("ApprovalsInbox", () => {
  it("shows each pending effect in full", async () => {
    setup([effect("e1")], [effect("d1", { status: "denied", decided: 1_700_000_100_000 })]);
    const card = await screen.findByTestId("approval-e1");
    expect(card.textContent).toContain("summarizer");
    expect(card.textContent).toContain("env.hook.post");
    expect(card.textContent).toContain("webhook");
    expect(screen.getByTestId("approval-audience-e1").textContent).toContain("everyone");
    expect(screen.getByTestId("approval-why-e1").textContent).toContain("the webhook is public");
    const args = screen.getByTestId("approval-args-e1");
    expect(args.textContent).toContain("https://hooks.example.org/x");
    expect(args.textContent).toContain("Line one\nLine two of a long body");
    expect(screen.getByTestId("approvals-count").textContent).toBe("1");
    expect(screen.getByTestId("decided-d1").textContent).toContain("denied");
    expect(screen.queryByTestId("approval-d1")).toBeNull();
  });

  it("shows positional arguments, with a JSON body pretty-printed", async () => {
    setup([effect("e1", { method: "fetch", args: ["/digest", { method: "POST", body: '{"digest":"all quiet","n":2}' }] })]);
    const args = await screen.findByTestId("approval-args-e1");
    expect(args.textContent).toContain("argument 1");
    expect(args.textContent).toContain("/digest");
    expect(args.textContent).toContain("POST");
    expect(args.textContent).toContain('{\n  "digest": "all quiet",\n  "n": 2\n}');
    fireEvent.click(screen.getByText("show raw JSON"));
    expect(args.textContent).toContain('"body": "{\\"digest\\"');
  });

  it("approves: disables both buttons in flight, then reloads and tells the parent", async () => {
    const held = deferred<Effect>();
    const { api, onChanged } = setup([effect("e1"), effect("e2")], [], { Approve: () => held.promise });
    await screen.findByTestId("approval-e1");
    fireEvent.click(screen.getByTestId("approve-e1"));
    expect(api.Approve).toHaveBeenCalledWith("e1");
    expect((screen.getByTestId("approve-e1") as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByTestId("deny-e1") as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByTestId("approve-e2") as HTMLButtonElement).disabled).toBe(false);
    fireEvent.click(screen.getByTestId("approve-e1"));
    fireEvent.click(screen.getByTestId("deny-e1"));
    expect(api.Approve).toHaveBeenCalledTimes(1);
    expect(api.Deny).not.toHaveBeenCalled();
    vi.mocked(api.Approvals).mockImplementation(async (all: boolean) =>
      all ? [effect("e2"), effect("e1", { status: "approved", decided: 2 })] : [effect("e2")],
    );
    await act(async () => held.resolve(effect("e1", { status: "approved" })));
    expect(onChanged).toHaveBeenCalledTimes(1);
    await waitFor(() => expect(screen.queryByTestId("approval-e1")).toBeNull());
    expect(screen.getByTestId("decided-e1").textContent).toContain("approved");
  });

  it("denies", async () => {
    const { api, onChanged } = setup([effect("e1")]);
    await screen.findByTestId("approval-e1");
    await act(async () => fireEvent.click(screen.getByTestId("deny-e1")));
    expect(api.Deny).toHaveBeenCalledWith("e1");
    expect(api.Approve).not.toHaveBeenCalled();
    expect(onChanged).toHaveBeenCalled();
    await screen.findByTestId("approvals-empty");
  });

  it("shows a failed decision and lets it be tried again", async () => {
    const { api, onChanged } = setup([effect("e1")], [], { Approve: async () => Promise.reject(new Error("already decided")) });
    await screen.findByTestId("approval-e1");
    await act(async () => fireEvent.click(screen.getByTestId("approve-e1")));
    expect(screen.getByTestId("approval-error-e1").textContent).toBe("already decided");
    expect((screen.getByTestId("approve-e1") as HTMLButtonElement).disabled).toBe(false);
    expect(onChanged).not.toHaveBeenCalled();
    expect(api.Approve).toHaveBeenCalledTimes(1);
  });

  it("reloads when the refresh key changes", async () => {
    const api = fakeApi({ Approvals: async () => [] });
    const { rerender } = render(<ApprovalsInbox api={api} refresh={1} />);
    await screen.findByTestId("approvals-empty");
    const calls = vi.mocked(api.Approvals).mock.calls.length;
    vi.mocked(api.Approvals).mockImplementation(async () => [effect("new")]);
    rerender(<ApprovalsInbox api={api} refresh={2} />);
    await screen.findByTestId("approval-new");
    expect(vi.mocked(api.Approvals).mock.calls.length).toBeGreaterThan(calls);
  });

  it("says when loading fails", async () => {
    const api = fakeApi({ Approvals: async () => Promise.reject("not connected") });
    render(<ApprovalsInbox api={api} />);
    expect((await screen.findByTestId("approvals-error")).textContent).toBe("not connected");
  });
});

describe("ApprovalsBadge", () => {
  it("shows the count, quiet at zero, hidden on request", () => {
    const onClick = vi.fn();
    const { rerender, container } = render(<ApprovalsBadge count={3} onClick={onClick} />);
    const b = screen.getByTestId("approvals-badge");
    expect(b.dataset.count).toBe("3");
    expect(b.className).toContain("lbp-badge-active");
    expect(b.getAttribute("aria-label")).toBe("3 approvals waiting");
    fireEvent.click(b);
    expect(onClick).toHaveBeenCalled();
    rerender(<ApprovalsBadge count={0} />);
    expect(screen.getByTestId("approvals-badge").className).toContain("lbp-badge-zero");
    rerender(<ApprovalsBadge count={0} hideWhenZero />);
    expect(container.innerHTML).toBe("");
    rerender(<ApprovalsBadge count={250} />);
    expect(screen.getByTestId("approvals-badge").textContent).toContain("99+");
  });
});
