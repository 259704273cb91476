// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { takeSecret } from "./SecretInputs";

function field(value: string): HTMLInputElement {
  const el = document.createElement("input");
  el.type = "password";
  el.value = value;
  return el;
}

describe("takeSecret", () => {
  it("returns the trimmed name and the value, and empties the field", () => {
    const el = field("ghp_TOPSECRETvalue");
    expect(takeSecret("  github_token ", el)).toEqual({ name: "github_token", value: "ghp_TOPSECRETvalue" });
    expect(el.value).toBe("");
  });

  it("empties the field even when the name is missing, and the error carries no value", () => {
    const el = field("ghp_TOPSECRETvalue");
    const got = takeSecret("   ", el);
    expect(got).toEqual({ error: "Name the secret." });
    expect(JSON.stringify(got)).not.toContain("TOPSECRET");
    expect(el.value).toBe("");
  });

  it("asks for a value when the field is empty or absent", () => {
    expect(takeSecret("k", field(""))).toEqual({ error: "Type the secret's value." });
    expect(takeSecret("k", null)).toEqual({ error: "Type the secret's value." });
  });
});
