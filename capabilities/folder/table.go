package folder

import "littleboxes/capabilities"

var (
	str  = capabilities.TypeString
	obj  = capabilities.TypeObject
	optO = func(name string) capabilities.Param {
		return capabilities.Param{Name: name, Type: capabilities.TypeObject, Optional: true}
	}
)

// table declares the methods an agent calls on env.NAME.
var table = capabilities.MustTable(capabilities.Spec{Interface: "Folder", Doc: `A folder of files on the owner's machine. Paths are relative to the folder
and separated by "/" ("notes/2026-12-05.md"); an absolute path, "..", a
backslash or a control character is refused, and so is any symbolic link
leading outside the folder. Only regular files are read or written.

Reading methods (read, list, glob, stat, search, diff, readJson, planEdits)
never change anything. Writing methods (write, replace, updateJson,
applyEditPlan) replace whole files atomically; the people who can read this
folder see what is written, so littleboxes may hold a write for the owner's
approval, and the call then resolves to a PendingApproval. If this folder
is read-only, writing methods throw.

To change several files together, or to see a change before making it,
call planEdits (it writes nothing and returns the diffs), then
applyEditPlan(plan): it writes every file or, on any failure, none.

Limits (the owner may set others): a file read or written is at most
1 MiB, list and glob return at most 1000 paths, and one call writes at most
8 MiB; going over throws an Error naming the limit.`,
	Types: `/** A file or directory, as list and stat describe it. */
interface FolderEntry {
  /** The name within its directory. */
  name: string;
  /** The path relative to the folder, to pass to the other methods. */
  path: string;
  type: "file" | "dir" | "symlink" | "fifo" | "device" | "socket" | "other";
  /** The size in bytes. */
  size: number;
  /** When it last changed, as an ISO 8601 time in UTC. */
  modified: string;
}

/** One match of Folder.search. */
interface FolderMatch {
  path: string;
  /** The line number, from 1. */
  line: number;
  /** Where the match starts in the line, from 1, in UTF-16 code units (text.slice(column - 1) starts with it). */
  column: number;
  /** The whole line, without its line ending, cut at 500 bytes. */
  text: string;
}

/** The options of Folder.search. */
interface FolderSearchOptions {
  /** Take query as a regular expression (Go RE2 syntax: no lookaround or backreferences), matched line by line. Default false: plain text. */
  regex?: boolean;
  /** Default true. */
  caseSensitive?: boolean;
  /** Search only under this directory. Default: the whole folder. */
  dir?: string;
  /** Search only files whose path matches this pattern, as Folder.glob takes it. */
  glob?: string;
  /** The most matches returned, 1 to 1000, default 100. */
  maxResults?: number;
}

/** A replacement in one file: every occurrence of search becomes replacement. */
interface FolderReplace {
  search: string;
  /** With regex, $1 or ${name} stand for the groups. */
  replacement: string;
  /** Take search as a regular expression (Go RE2 syntax). Default false. */
  regex?: boolean;
  /** Throw unless exactly this many occurrences are found. */
  expect?: number;
}

/**
 * One change to a JSON document, at a JSON pointer ("" is the whole
 * document, "/a/0/b" is key b of the first element of a; "/list/-" appends
 * to an array). set creates missing parent objects; delete of something
 * missing does nothing; merge applies an RFC 7396 merge patch (null deletes
 * a key).
 */
type FolderJsonOp =
  | { op: "set"; pointer: string; value: unknown }
  | { op: "delete"; pointer: string }
  | { op: "merge"; pointer?: string; value: { [key: string]: unknown } };

/** One edit of Folder.planEdits: a file's whole new content, a replacement in it, or JSON changes to it. */
type FolderEdit =
  | { path: string; content: string }
  | { path: string; replace: FolderReplace }
  | { path: string; json: FolderJsonOp[] };

/** One file of a FolderPlan. */
interface FolderPlanFile {
  path: string;
  /** The SHA-256 of the file now ("sha256:…"), or null for a new file. */
  before: string | null;
  /** The SHA-256 of the file once changed. */
  after: string;
  /** The unified diff from now to then. */
  diff: string;
}

/** What planEdits returns and applyEditPlan takes: plain data. */
interface FolderPlan {
  /** The files that change, each once. */
  files: FolderPlanFile[];
  /** One line per file: its path and how many lines come and go. */
  summary: string;
}

/** What a write resolves to once written. */
interface FolderWritten {
  path: string;
  /** The bytes written. */
  bytes: number;
  /** The SHA-256 of the new content. */
  hash: string;
}`, Methods: []capabilities.Method{
		{
			Name: "read", Role: capabilities.Source,
			Doc: "Reads a file: its text, or with bytes its bytes.",
			TS:  "read(path: string, options?: { bytes?: boolean }): Promise<string | Uint8Array>",
			TSDoc: `Reads the file at path whole. Resolves to its text (throwing if it is not
UTF-8 text), or with { bytes: true } to a Uint8Array. Throws if there is no
such file, it is not a regular file or it is over the size limit.`,
			Params: []capabilities.Param{{Name: "path", Type: str}, optO("options")},
			Fn:     capabilities.Of((*Folder).read),
		},
		{
			Name: "write", Role: capabilities.Sink,
			Doc: "Writes a file whole, atomically, making its directories.",
			TS:  "write(path: string, content: string | Uint8Array): Promise<FolderWritten | PendingApproval>",
			TSDoc: `Replaces the file at path with content (a string is written as UTF-8),
making missing directories. The write is atomic: a reader sees the old file
or the new one, never a mix. Throws if path is a directory, a symbolic link
or another non-file, or content is over the size limit.`,
			Params: []capabilities.Param{{Name: "path", Type: str}, {Name: "content", Type: capabilities.TypeBytes}},
			Fn:     capabilities.Of((*Folder).write),
		},
		{
			Name: "list", Role: capabilities.Source,
			Doc: "Lists a directory's entries by name.",
			TS:  "list(dir?: string): Promise<{ entries: FolderEntry[]; truncated: boolean }>",
			TSDoc: `Lists the entries of the directory dir (default: the folder itself), sorted
by name. truncated is true when there were more than the limit.`,
			Params: []capabilities.Param{{Name: "dir", Type: str, Optional: true}},
			Fn:     capabilities.Of((*Folder).list),
		},
		{
			Name: "glob", Role: capabilities.Source,
			Doc: "Finds the files whose paths match a pattern.",
			TS:  "glob(pattern: string): Promise<{ paths: string[]; truncated: boolean }>",
			TSDoc: `Returns the paths of the regular files matching pattern, sorted: * and ?
match within a name, [a-z] a class, and a "**" component any number of
directories: "notes/**" is every file under notes, and "**" + "/todo.txt"
every todo.txt. Symbolic links are not followed.`,
			Params: []capabilities.Param{{Name: "pattern", Type: str}},
			Fn:     capabilities.Of((*Folder).glob),
		},
		{
			Name: "stat", Role: capabilities.Source,
			Doc:    "Describes a path, or null when nothing is there.",
			TS:     "stat(path: string): Promise<FolderEntry | null>",
			TSDoc:  "Describes what is at path (a symbolic link itself, not what it points to), or resolves to null when nothing is there.",
			Params: []capabilities.Param{{Name: "path", Type: str}},
			Fn:     capabilities.Of((*Folder).stat),
		},
		{
			Name: "search", Role: capabilities.Source,
			Doc: "Searches the folder's text files for a string or regular expression.",
			TS:  "search(query: string, options?: FolderSearchOptions): Promise<{ matches: FolderMatch[]; truncated: boolean }>",
			TSDoc: `Searches the folder's text files, line by line, for query: plain text by
default, a regular expression with { regex: true }. Files that are not
UTF-8 text or are over the size limit are skipped, and symbolic links are
not followed. truncated is true when the matches or the files to search
were more than the limit.`,
			Params: []capabilities.Param{{Name: "query", Type: str}, optO("options")},
			Fn:     capabilities.Of((*Folder).search),
		},
		{
			Name: "replace", Role: capabilities.Sink,
			Doc: "Replaces every occurrence of a string or regular expression in a file.",
			TS:  "replace(path: string, search: string, replacement: string, options?: { regex?: boolean; expect?: number }): Promise<{ path: string; replacements: number; hash: string } | PendingApproval>",
			TSDoc: `Replaces every occurrence of search in the file at path with replacement,
and writes the file atomically. With { regex: true }, search is a regular
expression (Go RE2 syntax) and $1 or ${name} in replacement stand for its
groups (write ${1} when a letter or digit follows). Throws, writing nothing, when nothing matches or, with expect, when
the number of occurrences differs. For a dry run, call
planEdits([{ path, replace: { search, replacement } }]): it returns the diff
and writes nothing.`,
			Params: []capabilities.Param{{Name: "path", Type: str}, {Name: "search", Type: str}, {Name: "replacement", Type: str}, optO("options")},
			Fn:     capabilities.Of((*Folder).replace),
		},
		{
			Name: "diff", Role: capabilities.Source,
			Doc: "Returns the unified diff of two texts, or of a file and a new text.",
			TS:  "diff(before: string | { path: string }, after: string): Promise<string>",
			TSDoc: `Returns the unified diff (3 lines of context) from before to after, "" when
they are equal. before is a text, or { path } for the file there now (a
missing file diffs as new).`,
			Params: []capabilities.Param{{Name: "before", Type: capabilities.TypeAny, Want: "a string or { path: string }"}, {Name: "after", Type: str}},
			Fn:     capabilities.Of((*Folder).diff),
		},
		{
			Name: "readJson", Role: capabilities.Source,
			Doc:    "Reads a JSON file as data.",
			TS:     "readJson(path: string): Promise<unknown>",
			TSDoc:  "Reads the file at path and parses it as JSON. Throws if it is not valid JSON.",
			Params: []capabilities.Param{{Name: "path", Type: str}},
			Fn:     capabilities.Of((*Folder).readJSON),
		},
		{
			Name: "updateJson", Role: capabilities.Sink,
			Doc: "Changes a JSON file by set, delete and merge operations at JSON pointers.",
			TS:  "updateJson(path: string, ops: FolderJsonOp[]): Promise<FolderWritten | PendingApproval>",
			TSDoc: `Applies ops, in order, to the JSON document in the file at path (a missing
file starts as {}), and writes it back atomically, indented by two spaces.
Object keys come out sorted; numbers keep their digits. Throws, writing nothing, if the file is not
JSON or an op does not apply (a pointer into a string, an index past the end).`,
			Params: []capabilities.Param{{Name: "path", Type: str}, {Name: "ops", Type: capabilities.TypeArray}},
			Fn:     capabilities.Of((*Folder).updateJSON),
		},
		{
			Name: "planEdits", Role: capabilities.Source,
			Doc: "Plans edits to several files without writing: each file's hash and diff.",
			TS:  "planEdits(edits: FolderEdit[]): Promise<FolderPlan>",
			TSDoc: `Works out what edits would do, in order (several edits may touch one file),
and writes nothing: resolves to a plan listing each file that would change,
its hash now and its diff. Throws if any edit cannot apply. Pass the plan,
unchanged, to applyEditPlan to make the changes. With env.notes:
  const plan = await env.notes.planEdits([
    { path: "todo.md", replace: { search: "- [ ] milk", replacement: "- [x] milk" } },
    { path: "log.md", content: "bought milk\n" },
  ]);
  if (plan.files.length > 0) await env.notes.applyEditPlan(plan);`,
			Params: []capabilities.Param{{Name: "edits", Type: capabilities.TypeArray}},
			Fn:     capabilities.Of((*Folder).planEdits),
		},
		{
			Name: "applyEditPlan", Role: capabilities.Sink,
			Doc: "Applies a plan from planEdits, all or nothing.",
			TS:  "applyEditPlan(plan: FolderPlan): Promise<{ applied: string[] } | PendingApproval>",
			TSDoc: `Applies a plan made by planEdits: every file changes as its diff says, or
none does. Throws, changing nothing, if any file changed since the plan was
made (its hash differs) or the plan was altered; if a write fails part way,
the files already written are restored before it throws.`,
			Params: []capabilities.Param{{Name: "plan", Type: obj}},
			Fn:     capabilities.Of((*Folder).applyEditPlan),
		},
	}})
