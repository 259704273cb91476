// Small line icons for capability kinds and the title bar (no emoji font is
// assumed: the window and CI machines may have none).

const PATHS: Record<string, string> = {
  http: "M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18zM3 12h18M12 3c2.5 2.6 3.8 5.6 3.8 9s-1.3 6.4-3.8 9M12 3c-2.5 2.6-3.8 5.6-3.8 9s1.3 6.4 3.8 9",
  kv: "M5 6c0-1.7 3.1-3 7-3s7 1.3 7 3-3.1 3-7 3-7-1.3-7-3zM5 6v12c0 1.7 3.1 3 7 3s7-1.3 7-3V6M5 12c0 1.7 3.1 3 7 3s7-1.3 7-3",
  llm: "M12 3l1.9 5.1L19 10l-5.1 1.9L12 17l-1.9-5.1L5 10l5.1-1.9zM18.5 15l.8 2.2 2.2.8-2.2.8-.8 2.2-.8-2.2-2.2-.8 2.2-.8z",
  mail: "M3.5 6h17v12h-17zM3.5 6.5l8.5 7 8.5-7",
  channel: "M4 12h13M13 7l5 5-5 5",
  report: "M6 3h9l4 4v14H6zM14.5 3v4.5H19M9 12h7M9 16h7",
  key: "M14.5 4a5.5 5.5 0 1 0 0 11 5.5 5.5 0 1 0 0-11zM10.6 13.4L3 21M5.5 18.5l2.5 2.5M7.5 16.5l2 2",
  import: "M12 15V3M7 8l5-5 5 5M4 15v5h16v-5",
  export: "M12 3v12M7 10l5 5 5-5M4 15v5h16v-5",
  default: "M12 3l8 9-8 9-8-9z",
};

export function Icon({ name, size = 14 }: { name: string; size?: number }) {
  const d = PATHS[name] ?? PATHS.default;
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
      <path d={d} />
    </svg>
  );
}
