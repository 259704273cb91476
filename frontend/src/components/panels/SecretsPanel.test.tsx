// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { SecretsPanel } from "./index";
import { deferred, fakeApi } from "./testing";

afterEach(cleanup);

function setup(overrides: Parameters<typeof fakeApi>[0] = {}) {
  const names = new Set(["openai_key", "mail_password"]);
  const api = fakeApi({
    Secrets: async () => [...names],
    SetSecret: async (n: string) => {
      names.add(n);
    },
    DeleteSecret: async (n: string) => {
      names.delete(n);
    },
    ...overrides,
  });
  return { api, ...render(<SecretsPanel api={api} />) };
}

describe("SecretsPanel", () => {
  it("lists names only and says values cannot be read back", async () => {
    setup();
    await screen.findByTestId("secret-openai_key");
    expect(screen.getByTestId("secret-mail_password")).toBeTruthy();
    expect(screen.getByTestId("secrets-note").textContent).toContain("cannot be read back");
  });

  it("saves a secret, clearing the field before the call returns and never rendering the value", async () => {
    const held = deferred<void>();
    const { api, container } = setup({ SetSecret: () => held.promise });
    await screen.findByTestId("secret-openai_key");
    const value = screen.getByTestId("secret-value") as HTMLInputElement;
    expect(value.type).toBe("password");
    fireEvent.change(screen.getByTestId("secret-name"), { target: { value: "github_token" } });
    fireEvent.change(value, { target: { value: "ghp_TOPSECRETvalue" } });
    fireEvent.click(screen.getByTestId("secret-save"));
    expect(value.value).toBe("");
    expect(api.SetSecret).toHaveBeenCalledWith("github_token", "ghp_TOPSECRETvalue");
    expect(container.innerHTML).not.toContain("ghp_TOPSECRETvalue");
    vi_names(api, ["openai_key", "mail_password", "github_token"]);
    await act(async () => held.resolve());
    expect(container.innerHTML).not.toContain("ghp_TOPSECRETvalue");
    expect((screen.getByTestId("secret-name") as HTMLInputElement).value).toBe("");
    expect(screen.getByTestId("secret-notice").textContent).toContain("github_token");
    await screen.findByTestId("secret-github_token");
  });

  it("refuses an empty value without calling the API", async () => {
    const { api } = setup();
    fireEvent.change(screen.getByTestId("secret-name"), { target: { value: "x" } });
    await act(async () => fireEvent.click(screen.getByTestId("secret-save")));
    expect(api.SetSecret).not.toHaveBeenCalled();
    expect(screen.getByTestId("secret-error").textContent).toContain("value");
  });

  it("clears the field even when the keyring refuses", async () => {
    const { container } = setup({ SetSecret: async () => Promise.reject(new Error("keyring locked")) });
    fireEvent.change(screen.getByTestId("secret-name"), { target: { value: "k" } });
    const value = screen.getByTestId("secret-value") as HTMLInputElement;
    fireEvent.change(value, { target: { value: "hunter2hunter2" } });
    await act(async () => fireEvent.click(screen.getByTestId("secret-save")));
    expect(value.value).toBe("");
    expect(screen.getByTestId("secret-error").textContent).toBe("keyring locked");
    expect(container.innerHTML).not.toContain("hunter2hunter2");
  });

  it("replaces: fills the name of an existing secret", async () => {
    setup();
    fireEvent.click(await screen.findByTestId("secret-replace-openai_key"));
    expect((screen.getByTestId("secret-name") as HTMLInputElement).value).toBe("openai_key");
    expect(screen.getByTestId("secret-save").textContent).toBe("Replace");
  });

  it("deletes only after a confirmation", async () => {
    const { api } = setup();
    fireEvent.click(await screen.findByTestId("secret-delete-openai_key"));
    expect(api.DeleteSecret).not.toHaveBeenCalled();
    await act(async () => fireEvent.click(screen.getByTestId("secret-delete-confirm-openai_key")));
    expect(api.DeleteSecret).toHaveBeenCalledWith("openai_key");
    expect(screen.queryByTestId("secret-openai_key")).toBeNull();
    expect(screen.getByTestId("secret-mail_password")).toBeTruthy();
  });
});

function vi_names(api: ReturnType<typeof fakeApi>, names: string[]) {
  api.Secrets.mockImplementation(async () => names);
}
