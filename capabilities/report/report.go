// Package report is the report capability kind: messages from an agent to
// the owner, shown in the app's reports feed.
//
// An agent sees it as env.NAME with one method, send(report), a sink. A
// report is a string (its body) or an object {title?, body, level?}, level
// one of "info" (the default), "warn" or "urgent". send hands the host's
// Reporter one normalized value, whatever the agent passed:
//
//	map[string]any{"title": string ("" when none), "body": string, "level": "info" | "warn" | "urgent"}
//
// at most max_bytes once encoded as JSON.
//
// Flow: the audience is the owner alone, who is in every label, so a report
// is always safe and never held for approval. The kind has no source
// method; its label is the owner.
package report

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"littleboxes/capabilities"
)

// ID is the kind's id.
const ID = "report"

// Caps on reports.
const (
	// DefaultMaxBytes is the report cap when max_bytes is unset.
	DefaultMaxBytes = 64 << 10
	// MaxBytesCeiling is the largest max_bytes allowed.
	MaxBytesCeiling = 16 << 20
)

// Levels of a report, from the least to the most pressing.
const (
	LevelInfo   = "info"
	LevelWarn   = "warn"
	LevelUrgent = "urgent"
)

// Report is a report capability instance. Its exported fields are the
// props.
type Report struct {
	MaxBytes int `json:"max_bytes,omitempty" doc:"The largest report accepted, in bytes of its JSON encoding ({title, body, level}); 0 or unset means 65536 (64 KiB), at most 16777216 (16 MiB)."`

	reports capabilities.Reporter
	name    string // the capability's name in the army: who reports
}

func init() {
	capabilities.Register(capabilities.Kind{
		ID:    ID,
		Doc:   "Reports to the owner, shown in the app's reports feed; always allowed.",
		New:   func() capabilities.Instance { return new(Report) },
		Table: table,
	})
}

// table declares the methods an agent calls on env.NAME.
var table = capabilities.MustTable(capabilities.Spec{
	Interface: "Report",
	Doc: `Reports to the owner: each report appears in the littleboxes app's reports
feed. Only the owner sees reports, so sending one is always allowed and never
held for approval, whatever this agent has read. Use it for results, a
summary of what was done, or something the owner must act on.`,
	Methods: []capabilities.Method{
		{
			Name: "send", Role: capabilities.Sink, Inconsequential: true,
			Doc: "Sends a report (text, or a title, body and level) to the owner's reports feed.",
			TS:  "send(report: string | { title?: string; body: string; level?: \"info\" | \"warn\" | \"urgent\" }): Promise<void>",
			TSDoc: `Sends a report and resolves once the app has it. Pass plain text, or
{ title, body, level }: body is the text (required, not empty), title an
optional short headline, level "info" (the default), "warn" (something
went wrong or looks wrong) or "urgent" (the owner should act now; use
sparingly). The whole report is at most 64 KiB as JSON unless this
capability was configured otherwise; a larger one throws an Error naming
the limit.`,
			Params: []capabilities.Param{{Name: "report", Type: capabilities.TypeAny, Want: "a string or an object {title?, body, level?}"}},
			Fn:     capabilities.Of((*Report).send),
		},
	},
})

// Provision implements capabilities.Provisioner. It keeps the host's
// Reporter and the capability's name; a host without a Reporter is not an
// error until send is called.
func (r *Report) Provision(_ context.Context, h *capabilities.Host) error {
	r.reports = h.Reports
	r.name = h.Instance
	return nil
}

// CheckProps implements capabilities.PropsChecker.
func (r *Report) CheckProps(map[string]string) error {
	var ps capabilities.Problems
	capabilities.CheckLimit(&ps, "max_bytes", r.MaxBytes, MaxBytesCeiling, DefaultMaxBytes)
	return ps.Err()
}

// Flow implements capabilities.Instance: the owner alone reads and sees.
func (r *Report) Flow() capabilities.Flow {
	return capabilities.Flow{
		Label:    capabilities.NewLabel(capabilities.Owner),
		Audience: capabilities.NewLabel(capabilities.Owner),
	}
}

func (r *Report) maxBytes() int { return capabilities.Limit(r.MaxBytes, DefaultMaxBytes) }

func (r *Report) send(ctx context.Context, args []any) (any, error) {
	msg, err := normalize(args)
	if err != nil {
		return nil, fmt.Errorf("report send: %w", err)
	}
	if err := capabilities.CheckJSONSize(msg, "the report", "max_bytes", r.maxBytes()); err != nil {
		return nil, fmt.Errorf("report send: %w", err)
	}
	if r.reports == nil {
		return nil, fmt.Errorf("report send: the reports feed: %w", capabilities.ErrUnavailable)
	}
	if err := r.reports.Report(ctx, r.name, msg); err != nil {
		return nil, fmt.Errorf("report send: %w", err)
	}
	return nil, nil
}

// normalize turns send's argument into the report handed to the Reporter.
func normalize(args []any) (map[string]any, error) {
	var arg any
	if len(args) > 0 {
		arg = args[0]
	}
	title, body, level := "", "", LevelInfo
	switch a := arg.(type) {
	case string:
		body = a
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(a)) {
			v := a[k]
			switch k {
			case "title":
				if v == nil {
					continue
				}
				s, ok := v.(string)
				if !ok {
					return nil, &capabilities.ArgError{Index: 0, Name: "report.title", Want: "a string", Got: v}
				}
				title = s
			case "body":
				s, ok := v.(string)
				if !ok {
					return nil, &capabilities.ArgError{Index: 0, Name: "report.body", Want: "a string", Got: v}
				}
				body = s
			case "level":
				if v == nil {
					continue
				}
				s, ok := v.(string)
				if !ok || (s != LevelInfo && s != LevelWarn && s != LevelUrgent) {
					return nil, &capabilities.ArgError{Index: 0, Name: "report.level", Want: `"info", "warn" or "urgent"`, Got: v}
				}
				level = s
			default:
				return nil, fmt.Errorf("argument 1 (report): unknown field %q (known: title, body, level)", k)
			}
		}
		if _, ok := a["body"]; !ok {
			return nil, fmt.Errorf("argument 1 (report): the body is missing")
		}
	default:
		return nil, &capabilities.ArgError{Index: 0, Name: "report", Want: "a string or an object {title?, body, level?}", Got: arg}
	}
	if strings.TrimSpace(body) == "" {
		return nil, fmt.Errorf("argument 1 (report): the body is empty")
	}
	return map[string]any{"title": title, "body": body, "level": level}, nil
}

// Interface guards.
var (
	_ capabilities.Instance     = (*Report)(nil)
	_ capabilities.Provisioner  = (*Report)(nil)
	_ capabilities.PropsChecker = (*Report)(nil)
)
