// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { CapabilityView, KindInfo, Workspace } from "../../lib/api";
import { CapabilityEditor } from "./index";
import { deferred, fakeApi } from "./testing";

afterEach(cleanup);

const kind: KindInfo = {
  id: "http",
  doc: "HTTP requests to one host.",
  props: [
    { name: "host", type: "string", doc: "The only host it may call.", required: true },
    { name: "timeout", type: "number", doc: "Seconds." },
    { name: "retries", type: "integer", doc: "How many times to retry." },
    { name: "public", type: "boolean", doc: "Whether the host is public." },
    { name: "paths", type: "array", items: "string", doc: "Allowed path prefixes." },
    { name: "headers", type: "object", doc: "Extra headers." },
  ],
  secrets: ["api_key"],
  methods: [
    { name: "get", role: "source" },
    { name: "post", role: "sink" },
  ],
  declaration: "interface Http {\n  get(path: string): Promise<unknown>;\n}",
  enumerates: false,
};

const capability: CapabilityView = {
  name: "web",
  kind: "http",
  props: { host: "example.org", retries: 2, paths: ["/a"] },
  secrets: {},
  pos: { x: 10, y: 20 },
};

const ws = { name: "army" } as Workspace;

function setup(overrides: Parameters<typeof fakeApi>[0] = {}) {
  const api = fakeApi({
    Secrets: async () => ["old_key"],
    UpdateCapability: async () => ws,
    SetSecret: async () => undefined,
    ...overrides,
  });
  const onWorkspace = vi.fn();
  const utils = render(<CapabilityEditor api={api} capability={capability} kind={kind} onWorkspace={onWorkspace} onClose={() => {}} />);
  return { api, onWorkspace, ...utils };
}

describe("CapabilityEditor", () => {
  it("generates a field per prop, by type, with required marks and help", async () => {
    setup();
    expect(screen.getByTestId("capability-editor")).toBeTruthy();
    const host = screen.getByTestId("prop-host") as HTMLInputElement;
    expect(host.tagName).toBe("INPUT");
    expect(host.value).toBe("example.org");
    expect(host.required).toBe(true);
    expect(host.closest("label")!.querySelector(".lbp-required")).not.toBeNull();
    expect(host.closest("label")!.textContent).toContain("The only host it may call.");
    expect((screen.getByTestId("prop-timeout") as HTMLInputElement).value).toBe("");
    expect((screen.getByTestId("prop-retries") as HTMLInputElement).value).toBe("2");
    expect((screen.getByTestId("prop-public") as HTMLInputElement).type).toBe("checkbox");
    expect(screen.getByTestId("prop-paths").textContent).toContain("/a");
    expect(screen.getByTestId("prop-headers").tagName).toBe("TEXTAREA");
    expect(screen.getByTestId("secret-slot-api_key")).toBeTruthy();
    await waitFor(() => expect(screen.getByRole("option", { name: "old_key" })).toBeTruthy());
    const decl = screen.getByTestId("kind-declaration") as HTMLDetailsElement;
    expect(decl.open).toBe(false);
    expect(decl.textContent).toContain("get(path: string)");
  });

  it("sends the edited props, typed, to UpdateCapability", async () => {
    const { api, onWorkspace } = setup();
    fireEvent.change(screen.getByTestId("prop-host"), { target: { value: "api.example.org" } });
    fireEvent.change(screen.getByTestId("prop-timeout"), { target: { value: "2.5" } });
    fireEvent.change(screen.getByTestId("prop-retries"), { target: { value: "5" } });
    fireEvent.click(screen.getByTestId("prop-public"));
    const add = screen.getByTestId("prop-paths-input");
    fireEvent.change(add, { target: { value: "/b" } });
    fireEvent.keyDown(add, { key: "Enter" });
    fireEvent.click(screen.getByTestId("prop-paths-remove-0"));
    fireEvent.change(screen.getByTestId("prop-headers"), { target: { value: '{"X-A": "1"}' } });
    await act(async () => fireEvent.click(screen.getByTestId("capability-save")));
    expect(api.UpdateCapability).toHaveBeenCalledWith("web", {
      name: "web",
      kind: "http",
      props: { host: "api.example.org", timeout: 2.5, retries: 5, public: true, paths: ["/b"], headers: { "X-A": "1" } },
      secrets: {},
    });
    expect(onWorkspace).toHaveBeenCalledWith(ws);
  });

  it("shows field errors and sends nothing while a field is invalid", async () => {
    const { api } = setup();
    fireEvent.change(screen.getByTestId("prop-host"), { target: { value: "" } });
    fireEvent.change(screen.getByTestId("prop-retries"), { target: { value: "1.5" } });
    fireEvent.change(screen.getByTestId("prop-headers"), { target: { value: "{oops" } });
    await act(async () => fireEvent.click(screen.getByTestId("capability-save")));
    expect(api.UpdateCapability).not.toHaveBeenCalled();
    expect(screen.getByTestId("prop-host-error").textContent).toBe("required");
    expect(screen.getByTestId("prop-retries-error").textContent).toBe("a whole number");
    expect(screen.getByTestId("prop-headers-error").textContent).toMatch(/not JSON/);
  });

  it("shows the Go side's refusal", async () => {
    setup({ UpdateCapability: async () => Promise.reject("props: unknown field \"hots\"") });
    await act(async () => fireEvent.click(screen.getByTestId("capability-save")));
    expect(screen.getByTestId("capability-error").textContent).toContain('unknown field "hots"');
  });

  it("creates a secret, clears the field at once, and never renders the value", async () => {
    const held = deferred<void>();
    const { api, container } = setup({ SetSecret: () => held.promise });
    const slot = screen.getByTestId("secret-slot-api_key");
    fireEvent.click(screen.getByTestId("secret-new-api_key"));
    const name = slot.querySelector('[data-testid="secret-name"]') as HTMLInputElement;
    const value = slot.querySelector('[data-testid="secret-value"]') as HTMLInputElement;
    expect(value.type).toBe("password");
    fireEvent.change(name, { target: { value: "web_key" } });
    fireEvent.change(value, { target: { value: "sk-very-secret-123" } });
    fireEvent.click(slot.querySelector('[data-testid="secret-save"]')!);
    // Cleared before the call has even finished.
    expect(value.value).toBe("");
    expect(api.SetSecret).toHaveBeenCalledWith("web_key", "sk-very-secret-123");
    expect(container.innerHTML).not.toContain("sk-very-secret-123");
    await act(async () => held.resolve());
    expect(container.innerHTML).not.toContain("sk-very-secret-123");
    expect(document.body.innerHTML).not.toContain("sk-very-secret-123");
    // The slot now names the new secret; saving sends the name only.
    expect((screen.getByTestId("secret-pick-api_key") as HTMLSelectElement).value).toBe("web_key");
    await act(async () => fireEvent.click(screen.getByTestId("capability-save")));
    expect(api.UpdateCapability).toHaveBeenCalledWith("web", expect.objectContaining({ secrets: { api_key: "web_key" } }));
    expect(JSON.stringify(vi.mocked(api.UpdateCapability).mock.calls)).not.toContain("sk-very-secret-123");
  });

  it("picks an existing secret by name", async () => {
    const { api } = setup();
    await waitFor(() => expect(screen.getByRole("option", { name: "old_key" })).toBeTruthy());
    fireEvent.change(screen.getByTestId("secret-pick-api_key"), { target: { value: "old_key" } });
    await act(async () => fireEvent.click(screen.getByTestId("capability-save")));
    expect(api.UpdateCapability).toHaveBeenCalledWith("web", expect.objectContaining({ secrets: { api_key: "old_key" } }));
    expect(api.SetSecret).not.toHaveBeenCalled();
  });

  it.each([
    ["the kind's own methods", undefined, ["get:source", "post:sink"]],
    [
      "a dynamic kind's instance methods",
      [
        { name: "listPets", role: "exchange" },
        { name: "getStatus", role: "source" },
      ],
      ["listPets:exchange", "getStatus:source"],
    ],
  ])("lists %s with their roles", (_, methods, want) => {
    render(<CapabilityEditor api={fakeApi({ Secrets: async () => [] })} capability={{ ...capability, methods }} kind={kind} onWorkspace={() => {}} onClose={() => {}} />);
    const items = [...screen.getByTestId("capability-methods").querySelectorAll("li")];
    expect(items.map((li) => `${li.querySelector("code")!.textContent}:${li.dataset.role}`)).toEqual(want);
  });
});
