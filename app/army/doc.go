// Package army is the army model: agents, agent templates, capabilities,
// bindings and one-way channels, with its YAML file format, validation that
// points at the line and field of each problem, and export that round-trips
// without loss.
//
// Load reads an army file (and the code files it names), Parse reads one
// from bytes, Validate checks an army built or edited in code, and Export
// writes an army back as a file. Any problem comes back as an *Error listing
// every problem found, each with its line and column, the path of the field
// at fault, and what would be right:
//
//	army.yaml:12:5: agents.triage.bindings.report: no capability named "owner-reprot" (did you mean "owner-report"?)
//
// The file itself is checked the same way: a byte that is not UTF-8, a NUL
// or a control character YAML does not allow is reported at its line and
// column, and a YAML syntax error at the line and column of the character
// that made it wrong (or at the end of the file, when what is wrong is what
// it lacks there: a closing bracket, say).
//
// Kinds are looked up in the capabilities registry; this package imports no
// kind, so a program (or test) reading armies imports
// littleboxes/capabilities/standard for its side effects.
//
// # The army file
//
// An army file is one YAML document, a mapping of five fields:
//
//	name: inbox
//	doc: One triage agent per mail thread, all reporting to a summarizer.
//	capabilities:
//	  mailbox:
//	    kind: mail
//	    props: {maildir: ./maildir, owner: me@example.com}
//	    secrets: {password: smtp-password}
//	  owner-report: {kind: report}
//	agents:
//	  triage:
//	    template: {each: mailbox, as: thread}
//	    triggers: [item]
//	    code: ./agents/triage.ts
//	  summarizer:
//	    triggers: [message, every 1h]
//	    limits: {deadline: 10s}
//	    bindings: {report: owner-report}
//	    code: |
//	      export default {
//	        async onMessage(msg, env) { await env.report.send(msg) },
//	      }
//	channels:
//	  - {from: triage, env: summary, to: summarizer}
//
// Required are the army's name, each capability's kind, each agent's code,
// and each channel's from, env and to; the rest may be left out. An unknown
// field anywhere is an error (with a suggestion when it looks like a typo),
// and so is a value of the wrong type, a duplicate key, a merge key (<<) or
// more than one document. Anchors and aliases may be used; export writes
// them out.
//
// Each Problem points at the key of the field at fault (or the item, in a
// list) and names it by its path: "capabilities.mailbox.props.maildir",
// "agents.triage.triggers[1]", "channels[0].to". Capabilities, agents and
// bindings carry the position of their key in Pos, channels that of their
// list item.
//
// name (string, required) names the army, on one line. doc (string) says
// what it is for.
//
// # Capabilities
//
// capabilities maps capability names to capability instances. A name is 1 to
// 64 lowercase letters, digits and "-", beginning with a letter. Each has:
//
//   - kind: the id of a registered capability kind (kv, http, llm, mail,
//     channel, report, …). Required.
//   - props: the kind's configuration, a mapping decoded strictly by the kind
//     as its props JSON: a field the kind does not have is an error at that
//     field, a field of the wrong type is an error, and every required prop
//     (one whose JSON tag lacks omitempty) must be given. Then the kind's
//     own rules (capabilities.PropsChecker: max_redirects from 0 to 20, a
//     non-empty kv namespace, an http or https base_url, no loopback origin
//     without allow_private_network, …) are checked with nothing
//     provisioned, and every prop they refuse is reported at its own line
//     and column (a list item's, for "origins[1]"), all at once, before
//     anything runs. Values are plain
//     data and keep their YAML types: strings, booleans, null, integers
//     (int64; uint64 beyond), floats (float64; no infinities or NaN), lists
//     and mappings. A timestamp-looking value stays a string. A string
//     beginning with ./ or ../ is a path relative to the army file's folder:
//     the army keeps it as written, and Army.ResolvedProps returns the props
//     with such paths joined onto the folder, for provisioning.
//   - secrets: maps the kind's secret slots to the names of secrets in the
//     vault (1 to 128 of A-Z a-z 0-9 . _ -). A slot the kind does not
//     declare is an error; so is a required slot left out. Secret values
//     never appear in an army file.
//
// # Agents
//
// agents maps agent names (the same form as capability names) to agents:
//
//   - code (required): the agent's module. A one-line plain or quoted value
//     beginning with ./ or ../ is the path of a file, relative to the army
//     file's folder, read when the army is loaded; it must stay inside that
//     folder (no absolute path, no ../ out of it, no symbolic link out of
//     it), exist, be a regular file (a named pipe, socket, device or folder
//     is refused without being opened, so a pipe cannot make loading wait),
//     and be UTF-8 text of at most 1 MiB. Anything else, and a
//     block scalar (code: |) always, is the module's source inline, also at
//     most 1 MiB. A one-line value that looks like a file name without ./
//     ("agents/x.ts") or an absolute path is an error, so a path is never
//     taken for code. Parsing with no folder (Parse with dir "") accepts
//     inline code only.
//   - doc (string): what the agent does.
//   - triggers: a list of when the agent runs (a single trigger may be
//     written without the list). "manual": the owner runs it. "message": a
//     channel delivered a message (onMessage); an agent with a message
//     trigger must have a channel coming to it, and an agent a channel comes
//     to must have a message trigger. "every DURATION": on a schedule, with a
//     Go duration of at least 1s ("every 10m", "every 24h"). "item": a new
//     item appeared, or a known item changed (a mail thread gained a
//     message: the thread's agent runs again, once, by this same trigger);
//     templates only. An agent with no triggers runs only when
//     the owner runs it. A trigger may not be listed twice.
//   - limits: a mapping overriding the sandbox's per-invocation defaults:
//     deadline (a Go duration), max_stack_depth, max_timers,
//     max_pending_calls, max_console_bytes, max_value_bytes (whole numbers),
//     and concurrency: how many messages the agent handles at once (default
//     1: one at a time, in the order they were sent; more is faster but the
//     agent then sees messages out of order and side by side, so code that
//     reads and writes the same kv key may race). None may be negative; zero
//     or absent means the default.
//   - bindings: maps env names to capability names: env.NAME in the agent is
//     that capability.
//   - template: {each: CAPABILITY, as: NAME} makes the agent a template: one
//     agent per item of the capability named by each, whose kind must
//     enumerate items (capabilities.Enumerator; mail does, one item per
//     thread). In each instance, env.NAME (as) is the capability scoped to
//     that instance's item (one thread), and the item trigger runs it when
//     its item first appears and again each time the item changes (when the
//     kind versions its items, capabilities.Versioner: a thread's new
//     message). New items are found every few seconds, and at once when the
//     kind signals changes (capabilities.Notifier: an IMAP mailbox under
//     IDLE). This is how an army grows to thousands of
//     agents from a few lines.
//
// An env name is a JavaScript identifier (1 to 64 of A-Z a-z 0-9 _ $, not
// beginning with a digit) and may not be a reserved word or global
// (default, undefined, …), a member of Object.prototype (constructor,
// toString, __proto__, …), "then" (env would look like a Promise) or
// "toJSON". Within one agent, env names are unique across its bindings, its
// template's as, and the env of every channel it sends on.
//
// # Channels
//
// channels is a list of one-way channels, each {from: AGENT, env: NAME, to:
// AGENT}: agent from gets env.NAME, a send-only binding (the channel kind's
// send(msg)), and each message sent triggers agent to's onMessage. A channel
// is owned by its sender: it appears in the env of from and no other agent.
// Agents named must exist; a template may send on a channel (each instance
// sends on it) but not receive on one, since a channel cannot choose one of
// a template's instances.
//
// A channel may also be declared as a capability of kind channel, to set its
// props (max_message_bytes): {kind: channel, props: {to: AGENT}}. Binding it
// makes the binding agent its sender, under the binding's env name; only one
// agent may bind a given channel capability (its sender): another agent
// binding it is "an agent bound to a channel it does not own", an error.
// Its "to" must name an agent that is not a template. Army.Edges lists both
// kinds of channel alike.
//
// # Export
//
// Export writes name, doc, capabilities, agents and channels in that order;
// capabilities, agents, bindings and channels in the army's order (the
// file's order, for an army Parse read); props and secrets sorted by key.
// Inline code is written as a literal block, a code file as its ./ path (its
// contents are not written), durations in their shortest form ("1h"), and a
// float prop always with a decimal point so it reads back as a float.
// Comments and anchors are not kept. Parse(Export(a)) equals a apart from
// positions, and exporting an army twice gives the same bytes.
package army
