// CodeView: the one place the panels touch CodeMirror 6. Everything around it
// (checking, saving, placing diagnostics) is plain React and pure functions.

import { javascript } from "@codemirror/lang-javascript";
import { HighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { lintGutter, setDiagnostics } from "@codemirror/lint";
import { Compartment, EditorSelection, EditorState, Prec } from "@codemirror/state";
import { EditorView, keymap } from "@codemirror/view";
import { tags as t } from "@lezer/highlight";
import { basicSetup } from "codemirror";
import { type Ref, useEffect, useImperativeHandle, useRef } from "react";
import type { EditorDiagnostic } from "./util";

/** What a parent can do to a CodeView. */
export interface CodeViewHandle {
  /** Focuses the editor with the caret at a 1-based line and column. */
  focusAt(line: number, column: number): void;
}

interface Props {
  value: string;
  onChange?: (value: string) => void;
  /** Called on Ctrl+S / Cmd+S. */
  onSave?: () => void;
  readOnly?: boolean;
  /** Diagnostics already placed in `value` (see placeDiagnostics). */
  diagnostics?: readonly EditorDiagnostic[];
  label: string;
  testId?: string;
  className?: string;
  ref?: Ref<CodeViewHandle>;
}

/** The editor's colours: styles.css's palette. */
const theme = EditorView.theme(
  {
    "&": {
      color: "var(--text)",
      backgroundColor: "var(--panel-2)",
      height: "100%",
      fontSize: "12.5px",
    },
    "&.cm-focused": { outline: "none" },
    ".cm-scroller": { fontFamily: "var(--mono)", lineHeight: "1.6" },
    ".cm-content": { caretColor: "var(--amber)", padding: "8px 0" },
    ".cm-cursor, .cm-dropCursor": { borderLeftColor: "var(--amber)", borderLeftWidth: "2px" },
    "&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground, .cm-content ::selection":
      { backgroundColor: "rgba(245, 165, 36, 0.22)" },
    ".cm-activeLine": { backgroundColor: "rgba(255, 255, 255, 0.025)" },
    ".cm-selectionMatch": { backgroundColor: "rgba(45, 212, 191, 0.14)" },
    "&.cm-focused .cm-matchingBracket": { backgroundColor: "rgba(45, 212, 191, 0.22)", outline: "none" },
    ".cm-gutters": {
      backgroundColor: "var(--panel-2)",
      color: "var(--faint)",
      border: "none",
      borderRight: "1px solid var(--border)",
    },
    ".cm-activeLineGutter": { backgroundColor: "rgba(255, 255, 255, 0.04)", color: "var(--muted)" },
    ".cm-foldPlaceholder": { backgroundColor: "var(--raised)", border: "none", color: "var(--muted)" },
    ".cm-tooltip": {
      backgroundColor: "var(--raised)",
      color: "var(--text)",
      border: "1px solid var(--border-strong)",
      borderRadius: "6px",
    },
    ".cm-tooltip-autocomplete > ul > li[aria-selected]": { backgroundColor: "rgba(245, 165, 36, 0.2)", color: "var(--text)" },
    ".cm-panels": { backgroundColor: "var(--panel)", color: "var(--text)" },
    ".cm-panels.cm-panels-bottom": { borderTop: "1px solid var(--border)" },
    ".cm-searchMatch": { backgroundColor: "rgba(251, 191, 36, 0.2)", outline: "1px solid rgba(251, 191, 36, 0.4)" },
    ".cm-lintRange-error": {
      backgroundImage: "none",
      textDecoration: "underline wavy var(--err)",
      textUnderlineOffset: "3px",
    },
    ".cm-lintRange-warning": {
      backgroundImage: "none",
      textDecoration: "underline wavy var(--warn)",
      textUnderlineOffset: "3px",
    },
    ".cm-diagnostic-error": { borderLeftColor: "var(--err)" },
    ".cm-diagnostic-warning": { borderLeftColor: "var(--warn)" },
    ".cm-lint-marker": { width: "0.9em", height: "0.9em" },
  },
  { dark: true },
);

const highlight = HighlightStyle.define([
  { tag: [t.keyword, t.controlKeyword, t.moduleKeyword, t.operatorKeyword, t.definitionKeyword], color: "#c4b5fd" },
  { tag: [t.string, t.special(t.string), t.regexp], color: "#e6c98f" },
  { tag: [t.number, t.bool, t.null, t.atom], color: "#f5a524" },
  { tag: [t.comment, t.lineComment, t.blockComment], color: "var(--faint)", fontStyle: "italic" },
  { tag: [t.function(t.variableName), t.function(t.propertyName)], color: "#2dd4bf" },
  { tag: [t.typeName, t.className, t.namespace], color: "#7dd3fc" },
  { tag: [t.definition(t.variableName), t.definition(t.propertyName)], color: "#e2e8f0" },
  { tag: [t.propertyName], color: "#a5d6ff" },
  { tag: [t.operator, t.punctuation, t.separator, t.bracket], color: "#8692a6" },
  { tag: t.variableName, color: "#d8dee9" },
  { tag: t.invalid, color: "var(--err)" },
]);

/** A CodeMirror 6 editor for TypeScript, controlled by `value`. */
export function CodeView({ value, onChange, onSave, readOnly, diagnostics, label, testId, className, ref }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const onChangeRef = useRef(onChange);
  const onSaveRef = useRef(onSave);
  const readOnlyComp = useRef(new Compartment());
  onChangeRef.current = onChange;
  onSaveRef.current = onSave;

  useEffect(() => {
    if (!host.current) return undefined;
    const v = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: value,
        extensions: [
          basicSetup,
          javascript({ typescript: true }),
          theme,
          syntaxHighlighting(highlight),
          lintGutter(),
          Prec.highest(
            keymap.of([
              {
                key: "Mod-s",
                preventDefault: true,
                run: () => {
                  onSaveRef.current?.();
                  return true;
                },
              },
            ]),
          ),
          readOnlyComp.current.of(readOnlyExt(readOnly === true)),
          EditorView.contentAttributes.of({ "aria-label": label }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) onChangeRef.current?.(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = v;
    return () => {
      v.destroy();
      view.current = null;
    };
    // The editor is made once; value, readOnly and diagnostics are pushed in below.
  }, []);

  // An outside change of value (a reload, a reset) replaces the document.
  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const doc = v.state.doc.toString();
    if (doc !== value) {
      const head = Math.min(v.state.selection.main.head, value.length);
      v.dispatch({ changes: { from: 0, to: doc.length, insert: value }, selection: EditorSelection.cursor(head) });
    }
  }, [value]);

  useEffect(() => {
    view.current?.dispatch({ effects: readOnlyComp.current.reconfigure(readOnlyExt(readOnly === true)) });
  }, [readOnly]);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const len = v.state.doc.length;
    const placed = (diagnostics ?? []).map((d) => ({
      from: Math.min(d.from, len),
      to: Math.min(d.to, len),
      severity: d.severity,
      message: d.message,
    }));
    v.dispatch(setDiagnostics(v.state, placed));
  }, [diagnostics]);

  useImperativeHandle(ref, () => ({
    focusAt(line, column) {
      const v = view.current;
      if (!v) return;
      const l = v.state.doc.line(Math.min(Math.max(1, line), v.state.doc.lines));
      const at = Math.min(l.from + Math.max(0, column - 1), l.to);
      v.dispatch({ selection: EditorSelection.cursor(at), scrollIntoView: true });
      v.focus();
    },
  }));

  return <div ref={host} className={`lbp-code ${className ?? ""}`} data-testid={testId} />;
}

function readOnlyExt(readOnly: boolean) {
  return readOnly ? [EditorState.readOnly.of(true), EditorView.editable.of(false)] : [];
}
