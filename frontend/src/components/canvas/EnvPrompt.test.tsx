// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { EnvPrompt } from "./EnvPrompt";

afterEach(cleanup);

describe("EnvPrompt", () => {
  it("suggests the env name and sends what is typed, without judging it", async () => {
    const onOk = vi.fn(async () => null);
    render(<EnvPrompt pending={{ kind: "bind", agent: "a", capability: "http", env: "http" }} onOk={onOk} onCancel={() => {}} />);
    const input = screen.getByTestId("env-prompt-input") as HTMLInputElement;
    expect(input.value).toBe("http");
    fireEvent.change(input, { target: { value: "9 not an identifier" } });
    expect((screen.getByTestId("env-prompt-ok") as HTMLButtonElement).disabled).toBe(false);
    await act(async () => fireEvent.click(screen.getByTestId("env-prompt-ok")));
    expect(onOk).toHaveBeenCalledWith("9 not an identifier");
    expect(screen.queryByTestId("env-prompt-error")).toBeNull();
  });

  it("shows Go's refusal and stays open for another try", async () => {
    const onOk = vi.fn(async (env: string) => (env === "ok" ? null : `env name "${env}" is not a JavaScript identifier`));
    render(<EnvPrompt pending={{ kind: "channel", from: "a", to: "b", env: "b" }} onOk={onOk} onCancel={() => {}} />);
    fireEvent.change(screen.getByTestId("env-prompt-input"), { target: { value: "2x" } });
    await act(async () => fireEvent.click(screen.getByTestId("env-prompt-ok")));
    expect(screen.getByTestId("env-prompt-error").textContent).toBe('env name "2x" is not a JavaScript identifier');
    expect(screen.getByTestId("env-prompt")).toBeTruthy();
    fireEvent.change(screen.getByTestId("env-prompt-input"), { target: { value: "ok" } });
    await act(async () => fireEvent.click(screen.getByTestId("env-prompt-ok")));
    expect(screen.queryByTestId("env-prompt-error")).toBeNull();
    expect(onOk).toHaveBeenCalledTimes(2);
  });

  it("cancels on Escape", () => {
    const onCancel = vi.fn();
    render(<EnvPrompt pending={{ kind: "channel", from: "a", to: "b", env: "b" }} onOk={async () => null} onCancel={onCancel} />);
    fireEvent.keyDown(screen.getByTestId("env-prompt-input"), { key: "Escape" });
    expect(onCancel).toHaveBeenCalled();
  });
});
