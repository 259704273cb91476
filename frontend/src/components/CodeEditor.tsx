import { type KeyboardEvent, type Ref, useImperativeHandle, useMemo, useRef } from "react";
import { offsetOf } from "../lib/json";

/** What a parent can do to a CodeEditor. */
export interface CodeEditorHandle {
  /** Focuses the editor with the caret at a 1-based line and column. */
  focusAt(line: number, column: number): void;
}

interface Props {
  value: string;
  onChange: (value: string) => void;
  /** Called on Ctrl+Enter (Cmd+Enter on macOS). */
  onRun?: () => void;
  /** A 1-based line to mark as wrong in the gutter. */
  errorLine?: number;
  label: string;
  className?: string;
  ref?: Ref<CodeEditorHandle>;
}

const INDENT = "  ";

/**
 * A plain monospace editor: a textarea with a line-number gutter, Tab to
 * indent and Ctrl+Enter to run. (CodeMirror replaces it later.)
 */
export function CodeEditor({ value, onChange, onRun, errorLine, label, className, ref }: Props) {
  const area = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLDivElement>(null);
  const lines = useMemo(() => value.split("\n").length, [value]);

  useImperativeHandle(ref, () => ({
    focusAt(line, column) {
      const el = area.current;
      if (!el) return;
      const at = offsetOf(el.value, line, column);
      el.focus();
      el.setSelectionRange(at, at);
      const lineHeight = parseFloat(getComputedStyle(el).lineHeight) || 20;
      el.scrollTop = Math.max(0, (line - 3) * lineHeight);
    },
  }));

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      onRun?.();
      return;
    }
    if (e.key === "Tab" && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      const el = e.currentTarget;
      // insertText keeps the browser's undo history; fall back to an edit by hand.
      if (!document.execCommand?.("insertText", false, INDENT)) {
        const { selectionStart: s, selectionEnd: t } = el;
        const next = el.value.slice(0, s) + INDENT + el.value.slice(t);
        onChange(next);
        requestAnimationFrame(() => el.setSelectionRange(s + INDENT.length, s + INDENT.length));
      }
    }
  };

  return (
    <div className={`code-editor ${className ?? ""}`}>
      <div className="gutter" ref={gutter} aria-hidden="true">
        {Array.from({ length: lines }, (_, i) => (
          <div key={i} className={i + 1 === errorLine ? "gutter-line gutter-error" : "gutter-line"}>
            {i + 1}
          </div>
        ))}
      </div>
      <textarea
        ref={area}
        aria-label={label}
        value={value}
        spellCheck={false}
        autoCapitalize="off"
        autoComplete="off"
        autoCorrect="off"
        wrap="off"
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={onKeyDown}
        onScroll={(e) => {
          if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
        }}
      />
    </div>
  );
}
