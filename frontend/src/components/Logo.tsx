/** The littleboxes mark: three little boxes, stacked. */
export function Logo({ size = 28 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 32 32" aria-hidden="true" className="logo">
      <rect x="9.5" y="3" width="13" height="12" rx="2.5" fill="#f5a524" />
      <rect x="3" y="17" width="13" height="12" rx="2.5" fill="#2dd4bf" />
      <rect x="18" y="17" width="13" height="12" rx="2.5" fill="#a78bfa" />
      <path d="M9.5 7.5h13M3 21.5h13M18 21.5h13" stroke="#0f141c" strokeOpacity="0.35" strokeWidth="1" />
    </svg>
  );
}
