// DiffView: a unified diff (as codemode.Diff writes it), one line a row:
// added lines green, removed lines red, hunk headers muted.
//
// data-testid: the given testId on the list; each row has data-kind
// (add | del | hunk | file | same).

/** What a unified diff line is. */
export type DiffLineKind = "add" | "del" | "hunk" | "file" | "same";

/** The kind of one line of a unified diff. */
export function diffLineKind(line: string): DiffLineKind {
  if (line.startsWith("+++") || line.startsWith("---")) return "file";
  if (line.startsWith("@@")) return "hunk";
  if (line.startsWith("+")) return "add";
  if (line.startsWith("-")) return "del";
  return "same";
}

/** Shows diff; an empty diff says there is no change. */
export function DiffView({ diff, testId }: { diff: string; testId?: string }) {
  const lines = diff.replace(/\n$/, "").split("\n");
  if (diff.trim() === "") {
    return (
      <p className="lbp-muted lbp-small" data-testid={testId}>
        no change from the current code
      </p>
    );
  }
  return (
    <pre className="lbp-pre lbp-diff" data-testid={testId} aria-label="diff against the current code">
      {lines.map((l, i) => {
        const kind = diffLineKind(l);
        return (
          <span key={i} className={`lbp-diff-line lbp-diff-${kind}`} data-kind={kind}>
            {l}
            {"\n"}
          </span>
        );
      })}
    </pre>
  );
}
