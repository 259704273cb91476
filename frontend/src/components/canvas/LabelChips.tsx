// Labels and audiences as chips: one per principal ("owner", "public",
// "person:alice@…", "origin:…").

/** A principal as a short chip: "owner", "public", "alice@…", "origin:…". */
function LabelChip({ p }: { p: string }) {
  const i = p.indexOf(":");
  const kind = i > 0 ? p.slice(0, i) : p;
  const name = i > 0 ? p.slice(i + 1) : "";
  return (
    <span className={`lchip lchip-${kind}`} title={p}>
      {name ? <>{kind !== "person" && <span className="lchip-kind">{kind}</span>}{name.replace(/^https?:\/\//, "")}</> : kind}
    </span>
  );
}

export function LabelChips({ label, empty = "—" }: { label: string[]; empty?: string }) {
  if (!label || label.length === 0) return <span className="lchip lchip-none">{empty}</span>;
  return (
    <span className="lchips">
      {label.map((p) => (
        <LabelChip key={p} p={p} />
      ))}
    </span>
  );
}
