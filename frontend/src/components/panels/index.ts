// The side panels of the littleboxes window: the agent editor (with its
// Describe box and an instructions agent's settings), the capability
// editor, the approvals inbox and its badge, the runs panel and the secrets
// panel. Each takes the Api (src/lib/api.ts) and calls it directly; none
// re-implements a rule of the Go side.
//
// Stable data-testid values, for end-to-end tests. Where a test id is shared by
// two panels (secret-name, secret-value, secret-save), scope the lookup by the
// panel: `[data-testid=secrets-panel] [data-testid=secret-value]` or
// `[data-testid=secret-slot-api_key] [data-testid=secret-value]`.
//
// AgentEditor
//   agent-editor                the panel
//   agent-title, agent-close    the agent's name as shown; the close button
//   agent-state                 its last run's outcome, when not idle
//   agent-settings              the settings form: agent-name, agent-doc,
//                               agent-triggers (chips; agent-triggers-input to
//                               type one + Enter, agent-triggers-remove-<i>),
//                               agent-settings-save (UpdateAgent), agent-settings-error
//   agent-code                  the CodeMirror editor's host. To replace the code use
//                               locator('[data-testid=agent-code] .cm-content').fill(code)
//                               (keyboard.type would meet auto-indent and bracket closing)
//   agent-tab-code, agent-tab-env  code/env tabs, shown only when the panel is narrow
//                               (under 760 px: the two are side by side otherwise)
//   agent-dirty                 shown while the code has unsaved changes
//   agent-save, agent-save-error  Save (also Ctrl/Cmd+S) → SetAgentCode
//   agent-compiles              shown when CheckCode found nothing
//   agent-diagnostics, agent-diagnostic  the compile problems list and each entry
//   agent-env                   the read-only env declaration (CodeMirror host)
//   agent-bindings              the agent's bindings with their verdicts
//   agent-instances, instance-<name>  a template's instances
//   agent-run-input             the run input (JSON) textarea
//   agent-run-input-ok, agent-run-input-error  whether it is valid JSON
//   agent-run, agent-run-error  the Run button (saves first when dirty); a failed call
//   run-result                  the last RunRecord (data-status="ok|error|limit"), with
//                               run-status, run-value, run-error, run-console,
//                               run-pending-approval, run-open-approvals
//                               run-attempts (an instructions agent's attempts: attempts,
//                               attempt-<n> data-ok="1|0", attempt-error-<n>, attempt-code-<n>)
//   instructions                an instructions agent's form (InstructionsEditor): instructions-text,
//                               instructions-model, instructions-mode, instructions-attempts,
//                               instructions-save, instructions-error; cached-plan (CodeMirror
//                               host), cached-plan-empty ("not written yet"), cached-plan-error,
//                               cached-plan-refresh. For a code agent the same form (data-convert="1")
//                               sits in to-instructions (a <details>) and switches it over
//   describe                    the Describe box: describe-text, describe-model, describe-input,
//                               describe-input-error, describe-write, describe-writing,
//                               describe-error, describe-result (the attempts as above,
//                               describe-calls / describe-call "would call env.X.m(args)",
//                               describe-no-calls, describe-value, describe-console,
//                               describe-diff with rows data-kind="add|del|hunk|file|same"),
//                               describe-accept (UpdateAgent {name, code}), describe-discard
// CapabilityEditor
//   capability-editor, capability-title, capability-close, capability-name
//   prop-<name>                 the input for a prop (checkbox, text, textarea; for
//                               an array the chips box, with prop-<name>-input and
//                               prop-<name>-remove-<i>); prop-<name>-error
//   secret-slot-<slot>          a secret slot; inside it secret-pick-<slot> (select),
//                               secret-new-<slot>, then secret-name, secret-value, secret-save
//   kind-declaration            the collapsed declaration (<details>)
//   capability-save, capability-error
// ApprovalsInbox
//   approvals-inbox, approvals-count, approvals-refresh, approvals-empty, approvals-error
//   approval-<id>               a pending effect; approval-audience-<id>,
//                               approval-why-<id>, approval-args-<id>
//   approve-<id>, deny-<id>     its buttons (disabled while a decision is in flight)
//   approval-error-<id>
//   approvals-decided, decided-<id>  the recently decided ones
// ApprovalsBadge
//   approvals-badge             data-count="<n>"
// RunsPanel
//   runs-panel, runs-refresh, runs-empty, runs-error
//   run-<id>, run-toggle-<id>, run-detail-<id>  a row, its expander, its detail
//   run-attempts-<id>           a row's attempts chip ("2 attempts", "cached plan")
// SecretsPanel
//   secrets-panel, secrets-note, secrets-empty, secrets-load-error
//   secret-<name>, secret-replace-<name>, secret-delete-<name>, secret-delete-confirm-<name>
//   secret-name, secret-value, secret-save, secret-error, secret-notice

import "./panels.css";

export { AgentEditor, type AgentEditorProps, CHECK_DELAY_MS } from "./AgentEditor";
export { ApprovalsBadge, type ApprovalsBadgeProps } from "./ApprovalsBadge";
export { ApprovalsInbox, type ApprovalsInboxProps } from "./ApprovalsInbox";
export { CapabilityEditor, type CapabilityEditorProps } from "./CapabilityEditor";
export { RunsPanel, type RunsPanelProps } from "./RunsPanel";
export { SecretsPanel, type SecretsPanelProps } from "./SecretsPanel";
